using System.Management.Automation;
using System.Net;
using System.Security;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// Parameters for reaching S3-compatible storage, shared by every cmdlet that reads or writes a bucket. Keys come
/// the AWS.Tools way (-AccessKey, -SecretKey, -SessionToken, -ProfileName, -Region) or as one -S3Credential; they
/// are resolved once, before the first record, into the engine's S3Settings, whose secrets can be set but not read
/// back outside the engine. Objects on the pipeline carry no settings: every command that reaches a bucket resolves
/// its own, from its parameters and the environment.
/// </summary>
public abstract class PgStorageCmdletBase : PgCmdletBase
{
    // Resolved in BeginProcessing, so none of the parameters binds from the pipeline: settings are one per command.
    private S3Settings? _s3;

    /// <summary>Endpoint URL of an S3-compatible server; empty for AWS (S3_ENDPOINT_URL / AWS_ENDPOINT_URL otherwise).</summary>
    [Parameter]
    [Alias("EndpointUrl")]
    public string? S3Endpoint { get; set; }

    /// <summary>Region of the bucket (AWS_REGION / AWS_DEFAULT_REGION otherwise).</summary>
    [Parameter]
    [Alias("S3Region")]
    public string? Region { get; set; }

    /// <summary>Path-style addressing (MinIO, Ceph...).</summary>
    [Parameter]
    public SwitchParameter S3ForcePathStyle { get; set; }

    /// <summary>Access key as user name, secret key as password. Without keys or a profile the AWS default chain applies.</summary>
    [Parameter]
    [Credential]
    public PSCredential? S3Credential { get; set; }

    /// <summary>The access key ID, with -SecretKey (instead of -S3Credential).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? AccessKey { get; set; }

    /// <summary>The secret access key that goes with -AccessKey.</summary>
    [Parameter]
    public SecureString? SecretKey { get; set; }

    /// <summary>The session token of temporary credentials, with -AccessKey and -SecretKey or -S3Credential.</summary>
    [Parameter]
    [Alias("S3SessionToken")]
    public SecureString? SessionToken { get; set; }

    /// <summary>Profile from the shared AWS credentials or config file (AWS_PROFILE otherwise).</summary>
    [Parameter]
    [Alias("S3Profile")]
    [ValidateNotNullOrEmpty]
    public string? ProfileName { get; set; }

    /// <summary>Accept any TLS certificate from the endpoint.</summary>
    [Parameter]
    public SwitchParameter S3SkipCertificateCheck { get; set; }

    /// <summary>Auto (the compatible protocol for non-AWS endpoints), Aws, or Generic (no aws-chunked payloads, checksums only when required).</summary>
    [Parameter]
    public S3Compatibility S3Compatibility { get; set; } = S3Compatibility.Auto;

    /// <summary>How this command reaches buckets: the environment, overridden by any storage parameter given.</summary>
    protected S3Settings S3 => _s3 ?? throw new InvalidOperationException("storage settings are resolved in BeginProcessing");

    /// <summary>
    /// The archives a -Path (wildcards expanded) or a -LiteralPath names, each reached with this command's settings.
    /// A pattern that matches nothing is reported as an error naming it, and names none.
    /// </summary>
    protected IReadOnlyList<ArchiveLocation> LocateArchives(string path, bool literal)
    {
        if (PipelinePathAttribute.Refusal(path) is { } refusal)
        {
            var record = ErrorRecords.FromInput(new ArgumentException(refusal), null);
            if (PipelinePathAttribute.StopsCommand(path))
                ThrowTerminatingError(record);
            WriteError(record);
            return [];
        }
        try
        {
            return ArchivePaths.Resolve(SessionState, path, literal).Select(p => new ArchiveLocation(p, S3)).ToList();
        }
        catch (ItemNotFoundException ex)
        {
            WriteError(ArchivePaths.NotFound(ex, path));
            return [];
        }
    }

    /// <summary>Resolves the storage settings once, before the first record; conflicting key parameters end the command.</summary>
    protected override void BeginProcessing()
    {
        try
        {
            _s3 = ResolveS3Settings();
        }
        catch (Exception ex) when (ex is ArgumentException or PgPhaseException)
        {
            ThrowTerminatingError(ErrorRecords.FromInput(ex, null));
        }
    }

    private S3Settings ResolveS3Settings()
    {
        bool keys = AccessKey is not null || SecretKey is not null;
        if (keys && S3Credential is not null)
            throw new ArgumentException("Give the S3 keys either as -S3Credential or as -AccessKey and -SecretKey, not both.");
        if (keys && (AccessKey is null || SecretKey is null || SecretKey.Length == 0))
            throw new ArgumentException("-AccessKey and -SecretKey go together.");
        if (SessionToken is not null && !keys && S3Credential is null)
            throw new ArgumentException("-SessionToken goes with -AccessKey and -SecretKey, or with -S3Credential.");
        if (ProfileName is not null && (keys || S3Credential is not null))
            throw new ArgumentException("Name either a profile (-ProfileName) or keys (-AccessKey and -SecretKey, or -S3Credential), not both.");

        var environment = S3Settings.FromEnvironment();
        var settings = environment with
        {
            EndpointUrl = string.IsNullOrEmpty(S3Endpoint) ? environment.EndpointUrl : S3Endpoint,
            Region = string.IsNullOrEmpty(Region) ? environment.Region : Region,
            ForcePathStyle = environment.ForcePathStyle || S3ForcePathStyle.IsPresent,
            SkipCertificateCheck = environment.SkipCertificateCheck || S3SkipCertificateCheck.IsPresent,
            Compatibility = S3Compatibility,
            Profile = ProfileName ?? environment.Profile,
        };
        // Secrets go straight from the SecureString or PSCredential into the settings; nothing here keeps a copy.
        if (S3Credential is not null)
            settings = settings with { AccessKeyId = S3Credential.UserName, SecretAccessKey = S3Credential.GetNetworkCredential().Password };
        else if (keys)
            settings = settings with { AccessKeyId = AccessKey, SecretAccessKey = new NetworkCredential("", SecretKey).Password };
        return SessionToken is null ? settings : settings with { SessionToken = new NetworkCredential("", SessionToken).Password };
    }
}
