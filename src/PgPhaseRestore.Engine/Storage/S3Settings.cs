using System.Diagnostics;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>
/// How to reach a bucket, resolved once by a host and then only read. Credentials left empty fall back to the AWS
/// SDK's default chain (environment, profile, instance role); the engine itself never reads the environment for them.
/// </summary>
public sealed record S3Settings
{
    /// <summary>Service URL of an S3-compatible server (MinIO, Ceph, R2...); empty for AWS itself.</summary>
    public string? EndpointUrl { get; init; }

    /// <summary>The bucket's region (AWS); the signing region for other endpoints (default us-east-1).</summary>
    public string? Region { get; init; }

    /// <summary>Path-style addressing (endpoint/bucket/key), which MinIO, Ceph and the like need.</summary>
    public bool ForcePathStyle { get; init; }

    /// <summary>The access key ID; with the secret key it replaces the default credential chain.</summary>
    public string? AccessKeyId { get; init; }

    /// <summary>The secret key: set by hosts, read only inside the engine, so no serialiser or formatter ever sees it.</summary>
    [DebuggerBrowsable(DebuggerBrowsableState.Never)]
    public string? SecretAccessKey { internal get; init; }

    /// <summary>The session token of temporary credentials; like the secret key, never readable outside the engine.</summary>
    [DebuggerBrowsable(DebuggerBrowsableState.Never)]
    public string? SessionToken { internal get; init; }

    /// <summary>Named profile from the shared AWS credentials file.</summary>
    public string? Profile { get; init; }

    /// <summary>Accept any TLS certificate. Only on explicit request.</summary>
    public bool SkipCertificateCheck { get; init; }

    /// <summary>Which protocol subset to speak (default: by endpoint).</summary>
    public S3Compatibility Compatibility { get; init; } = S3Compatibility.Auto;

    /// <summary>Retries of a failed request unless S3_MAX_RETRIES or a host says otherwise.</summary>
    public const int DefaultMaxRetries = 5;

    /// <summary>Retries of a failed request before giving up.</summary>
    public int MaxRetries { get; init; } = DefaultMaxRetries;

    /// <summary>True when requests must avoid aws-chunked encoding and optional checksums.</summary>
    internal bool UseGenericProtocol => Compatibility switch
    {
        S3Compatibility.Generic => true,
        S3Compatibility.Aws => false,
        _ => !string.IsNullOrEmpty(EndpointUrl) && !IsAwsHost(EndpointUrl),
    };

    private static bool IsAwsHost(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) &&
        (uri.Host.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase) ||
         uri.Host.EndsWith(".amazonaws.com.cn", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// For hosts: settings from the environment variables the earlier shell scripts used (S3_ENDPOINT_URL,
    /// AWS_S3_FORCE_PATH_STYLE, AWS_NO_VERIFY_SSL, S3_MAX_RETRIES) and the AWS ones (AWS_ENDPOINT_URL_S3,
    /// AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, AWS_PROFILE). Keys themselves are left to the AWS chain.
    /// </summary>
    public static S3Settings FromEnvironment(Func<string, string?>? getenv = null)
    {
        getenv ??= Environment.GetEnvironmentVariable;
        var settings = new S3Settings
        {
            EndpointUrl = First(getenv, "S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
            Region = First(getenv, "AWS_REGION", "AWS_DEFAULT_REGION"),
            ForcePathStyle = IsTrue(getenv("AWS_S3_FORCE_PATH_STYLE")),
            SkipCertificateCheck = IsTrue(getenv("AWS_NO_VERIFY_SSL")),
            Profile = getenv("AWS_PROFILE"),
        };
        return int.TryParse(getenv("S3_MAX_RETRIES"), out int retries) && retries >= 0 ? settings with { MaxRetries = retries } : settings;
    }

    private static string? First(Func<string, string?> getenv, params string[] names) =>
        names.Select(getenv).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    private static bool IsTrue(string? value) =>
        value is not null && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1" ||
                              value.Equals("yes", StringComparison.OrdinalIgnoreCase));

    /// <summary>Endpoint, region, addressing and the access key ID; never a secret.</summary>
    public override string ToString() =>
        $"endpoint={EndpointUrl ?? "(AWS)"} region={Region ?? "(default)"} pathStyle={ForcePathStyle} credentials={(AccessKeyId is null ? "default chain" : AccessKeyId + " / ***")}";
}
