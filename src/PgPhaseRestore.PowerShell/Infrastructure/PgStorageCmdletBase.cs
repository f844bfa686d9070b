using System.Management.Automation;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>Parameters for reaching S3-compatible storage, shared by every cmdlet that reads or writes a bucket.</summary>
public abstract class PgStorageCmdletBase : PgCmdletBase
{
    /// <summary>Endpoint URL of an S3-compatible server; empty for AWS (S3_ENDPOINT_URL / AWS_ENDPOINT_URL otherwise).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? S3Endpoint { get; set; }

    /// <summary>Region of the bucket (AWS_REGION / AWS_DEFAULT_REGION otherwise).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? S3Region { get; set; }

    /// <summary>Path-style addressing (MinIO, Ceph...).</summary>
    [Parameter]
    public SwitchParameter S3ForcePathStyle { get; set; }

    /// <summary>Access key as user name, secret key as password. Without it the AWS default chain applies.</summary>
    [Parameter]
    [Credential]
    public PSCredential? S3Credential { get; set; }

    /// <summary>AWS session token to go with -S3Credential.</summary>
    [Parameter]
    public System.Security.SecureString? S3SessionToken { get; set; }

    /// <summary>Profile from the shared AWS credentials file.</summary>
    [Parameter]
    public string? S3Profile { get; set; }

    /// <summary>Accept any TLS certificate from the endpoint.</summary>
    [Parameter]
    public SwitchParameter S3SkipCertificateCheck { get; set; }

    /// <summary>Auto (the compatible protocol for non-AWS endpoints), Aws, or Generic (no aws-chunked payloads, checksums only when required).</summary>
    [Parameter]
    public S3Compatibility S3Compatibility { get; set; } = S3Compatibility.Auto;

    /// <summary>Settings only when an -S3* parameter was given; otherwise null, so an archive keeps the settings it was read with.</summary>
    protected S3Settings? ExplicitS3Settings() =>
        MyInvocation.BoundParameters.Keys.Any(k => k.StartsWith("S3", StringComparison.Ordinal)) ? BuildS3Settings() : null;

    protected S3Settings BuildS3Settings()
    {
        var settings = S3Settings.FromEnvironment();
        if (!string.IsNullOrEmpty(S3Endpoint))
            settings.EndpointUrl = S3Endpoint;
        if (!string.IsNullOrEmpty(S3Region))
            settings.Region = S3Region;
        settings.ForcePathStyle |= S3ForcePathStyle.IsPresent;
        settings.SkipCertificateCheck |= S3SkipCertificateCheck.IsPresent;
        settings.Compatibility = S3Compatibility;
        if (!string.IsNullOrEmpty(S3Profile))
            settings.Profile = S3Profile;
        if (S3Credential is not null)
        {
            settings.AccessKeyId = S3Credential.UserName;
            settings.SecretAccessKey = S3Credential.GetNetworkCredential().Password;
        }
        if (S3SessionToken is not null)
            settings.SessionToken = new System.Net.NetworkCredential("", S3SessionToken).Password;
        return settings;
    }
}
