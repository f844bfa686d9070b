using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>Cheap questions asked of a bucket before a long operation starts.</summary>
internal static class BucketProbe
{
    /// <summary>Fails early, naming the bucket, when it is missing or the credentials cannot reach it.</summary>
    public static async Task CheckReachableAsync(IAmazonS3 client, S3ObjectLocation location, CancellationToken ct)
    {
        try
        {
            await client.HeadBucketAsync(new HeadBucketRequest { BucketName = location.Bucket }, ct).ConfigureAwait(false);
        }
        catch (AmazonServiceException ex) when (S3Errors.IsNotFound(ex))
        {
            throw PgPhaseException.Storage(location.ToString(), $"no such bucket \"{location.Bucket}\"", ex, PgPhaseErrorCode.ArchiveNotFound);
        }
        catch (Exception ex) when (S3Errors.Map(client, location, ex, "reach the bucket", ct) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>"12.3 MiB, last modified ..." when the object exists, otherwise null.</summary>
    public static async Task<string?> DescribeIfExistsAsync(IAmazonS3 client, S3ObjectLocation location, CancellationToken ct)
    {
        try
        {
            var head = await client.GetObjectMetadataAsync(location.Bucket, location.Key, ct).ConfigureAwait(false);
            return $"{SizeText.Format(head.ContentLength)}, last modified {head.LastModified:u}";
        }
        catch (AmazonServiceException ex) when (S3Errors.IsNotFound(ex))
        {
            return null;
        }
        catch (Exception ex) when (S3Errors.Map(client, location, ex, "read the object", ct) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>Size of an object, failing with the object's name when it cannot be read.</summary>
    public static async Task<long> SizeAsync(IAmazonS3 client, S3ObjectLocation location, CancellationToken ct)
    {
        try
        {
            var head = await client.GetObjectMetadataAsync(location.Bucket, location.Key, ct).ConfigureAwait(false);
            return head.ContentLength;
        }
        catch (Exception ex) when (S3Errors.Map(client, location, ex, "read the object", ct) is { } mapped)
        {
            throw mapped;
        }
    }
}
