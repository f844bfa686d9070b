using System.Net;
using Amazon.S3;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>Turns S3 service errors into messages that name the object and say what to do.</summary>
internal static class S3Errors
{
    public static ArchiveSourceException Describe(S3ObjectLocation location, AmazonS3Exception ex, string action = "read")
    {
        var uri = location.ToString();
        return ex.ErrorCode switch
        {
            "NoSuchKey" => new ArchiveSourceException(uri, $"no such object: bucket \"{location.Bucket}\" has no key \"{location.Key}\"", ex),
            "NoSuchBucket" => new ArchiveSourceException(uri, $"no such bucket \"{location.Bucket}\"", ex),
            "AccessDenied" or "AllAccessDisabled" => new ArchiveSourceException(uri, $"access denied: the credentials in use may not {action} this object", ex),
            "SignatureDoesNotMatch" => new ArchiveSourceException(uri, "access denied: the secret key does not match the access key (SignatureDoesNotMatch)", ex),
            "InvalidAccessKeyId" => new ArchiveSourceException(uri, "access denied: the access key is not known to this endpoint (InvalidAccessKeyId)", ex),
            _ when ex.StatusCode == HttpStatusCode.NotFound => new ArchiveSourceException(uri, "no such object", ex),
            _ when ex.StatusCode == HttpStatusCode.Forbidden => new ArchiveSourceException(uri, $"access denied ({ex.ErrorCode})", ex),
            _ => new ArchiveSourceException(uri, $"could not {action} the object: {(int)ex.StatusCode} {ex.ErrorCode}: {ex.Message}", ex),
        };
    }
}
