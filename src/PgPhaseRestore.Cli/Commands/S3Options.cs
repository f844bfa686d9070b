using System.CommandLine;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>
/// Options for reaching S3-compatible storage. Defaults come from the environment (S3_ENDPOINT_URL,
/// AWS_REGION, AWS_S3_FORCE_PATH_STYLE, AWS_NO_VERIFY_SSL...); keys only from the AWS chain, never from arguments.
/// Resolved once per command into the settings the engine is handed; the engine reads no environment for them.
/// </summary>
internal sealed class S3Options
{
    public Option<string?> Endpoint { get; } = new("--s3-endpoint") { Description = "S3-compatible endpoint URL (default: S3_ENDPOINT_URL / AWS_ENDPOINT_URL)" };
    public Option<string?> Region { get; } = new("--s3-region") { Description = "Region (default: AWS_REGION / AWS_DEFAULT_REGION)" };
    public Option<bool> PathStyle { get; } = new("--s3-path-style") { Description = "Path-style addressing, for MinIO, Ceph and the like (default: AWS_S3_FORCE_PATH_STYLE)" };
    public Option<bool> NoVerifySsl { get; } = new("--s3-no-verify-ssl") { Description = "Accept any TLS certificate (default: AWS_NO_VERIFY_SSL)" };
    public Option<string?> Profile { get; } = new("--s3-profile") { Description = "AWS shared-credentials profile (default: AWS_PROFILE)" };
    public Option<int?> MaxRetries { get; } = OptionValues.OptionalCount("--s3-max-retries", $"Retries of a failed S3 request before giving up (default: S3_MAX_RETRIES, then {S3Settings.DefaultMaxRetries})", 0);
    public Option<S3Compatibility> Compatibility { get; } = OptionValues.Choice("--s3-compatibility", null, "Auto (generic protocol for non-AWS endpoints), Aws or Generic (no aws-chunked payloads, checksums only when required)", S3Compatibility.Auto);

    public void AddTo(Command command)
    {
        command.Options.Add(Endpoint);
        command.Options.Add(Region);
        command.Options.Add(PathStyle);
        command.Options.Add(NoVerifySsl);
        command.Options.Add(Profile);
        command.Options.Add(MaxRetries);
        command.Options.Add(Compatibility);
    }

    public S3Settings Read(ParseResult result)
    {
        var environment = S3Settings.FromEnvironment();
        var retries = result.GetValue(MaxRetries) ?? environment.MaxRetries;
        return environment with
        {
            EndpointUrl = result.GetValue(Endpoint) ?? environment.EndpointUrl,
            Region = result.GetValue(Region) ?? environment.Region,
            ForcePathStyle = environment.ForcePathStyle || result.GetValue(PathStyle),
            SkipCertificateCheck = environment.SkipCertificateCheck || result.GetValue(NoVerifySsl),
            Profile = result.GetValue(Profile) ?? environment.Profile,
            Compatibility = result.GetValue(Compatibility),
            // The option's parser refuses a negative count and S3Settings.FromEnvironment ignores one.
            MaxRetries = retries,
        };
    }

    /// <summary>An archive, folder or prefix given on the command line, with the settings of this command.</summary>
    public ArchiveLocation Location(ParseResult result, string path) => new(path, Read(result));
}
