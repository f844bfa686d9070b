using System.Net.Http;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.S3;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>Builds an S3 client from settings, applying the compatibility rules for non-AWS servers.</summary>
internal static class S3ClientFactory
{
    /// <summary>A client for the bucket of <paramref name="location"/>, named in the error when the settings cannot make one.</summary>
    public static IAmazonS3 Create(S3Settings settings, string location)
    {
        try
        {
            return Create(settings);
        }
        catch (AmazonClientException ex) when (ex.Message.Contains("RegionEndpoint", StringComparison.Ordinal))
        {
            // The SDK's own words ("No RegionEndpoint or ServiceURL configured") name neither the bucket nor a setting.
            throw PgPhaseException.Storage(location,
                "no region and no S3 endpoint say where the bucket is (none was given, and neither AWS_REGION nor a profile names a region)",
                ex, PgPhaseErrorCode.ArchiveNoRegion);
        }
    }

    public static IAmazonS3 Create(S3Settings settings)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = settings.ForcePathStyle,
            MaxErrorRetry = settings.MaxRetries,
        };
        if (!string.IsNullOrEmpty(settings.EndpointUrl))
        {
            // "minio.example.com:9000" is taken as https, as the check reads it; the SDK itself refuses a URL without a scheme.
            config.ServiceURL = CheckEndpoint(settings.EndpointUrl);
            config.AuthenticationRegion = settings.Region ?? "us-east-1";
        }
        else if (!string.IsNullOrEmpty(settings.Region))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(settings.Region);
        }

        if (settings.UseGenericProtocol)
        {
            // Non-AWS servers may store aws-chunked framing as data or reject flexible checksums.
            config.RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED;
            config.ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED;
        }

        if (settings.SkipCertificateCheck)
            config.HttpClientFactory = new InsecureHttpClientFactory();

        return new AmazonS3Client(ResolveCredentials(settings) ?? new DefaultChainCredentials(config), config);
    }

    // The SDK's own failure for a malformed endpoint is a bare UriFormatException that does not say which value.
    private static string CheckEndpoint(string url)
    {
        var candidate = url.Contains("://", StringComparison.Ordinal) ? url : "https://" + url;
        if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0)
            throw new PgPhaseException($"S3 endpoint \"{url}\" is not a URL such as https://minio.example.com:9000", PgPhaseErrorCode.InvalidInput);
        return candidate;
    }

    private static AWSCredentials? ResolveCredentials(S3Settings settings)
    {
        if (!string.IsNullOrEmpty(settings.AccessKeyId))
        {
            if (string.IsNullOrEmpty(settings.SecretAccessKey))
                throw new PgPhaseException($"S3 access key {settings.AccessKeyId} was given without its secret key", PgPhaseErrorCode.InvalidInput);
            return string.IsNullOrEmpty(settings.SessionToken)
                ? new BasicAWSCredentials(settings.AccessKeyId, settings.SecretAccessKey)
                : new SessionAWSCredentials(settings.AccessKeyId, settings.SecretAccessKey, settings.SessionToken);
        }

        if (!string.IsNullOrEmpty(settings.Profile))
        {
            var chain = new CredentialProfileStoreChain();
            if (!chain.TryGetAWSCredentials(settings.Profile, out var profileCredentials))
                throw new PgPhaseException($"AWS profile \"{settings.Profile}\" was not found in the shared credentials or config file", PgPhaseErrorCode.ArchiveProfileNotFound);
            return profileCredentials;
        }

        // Null: the SDK's default chain (environment, profile, web identity, instance role), resolved on first use.
        return null;
    }

    private sealed class InsecureHttpClientFactory : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig)
        {
            var handler = new HttpClientHandler
            {
                ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
            };
            return new HttpClient(handler);
        }

        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;
        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
    }
}
