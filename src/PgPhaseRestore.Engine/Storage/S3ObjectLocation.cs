namespace PgPhaseRestore.Engine.Storage;

/// <summary>An s3://bucket/key URI, split.</summary>
public sealed record S3ObjectLocation(string Bucket, string Key)
{
    public const string Scheme = "s3://";

    public static bool IsS3Uri(string location) => location.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    public static S3ObjectLocation Parse(string uri)
    {
        if (!IsS3Uri(uri))
            throw new ArgumentException($"{uri}: not an s3:// URI", nameof(uri));
        var rest = uri[Scheme.Length..];
        int slash = rest.IndexOf('/');
        if (slash <= 0)
            throw new ArgumentException($"{uri}: an s3:// URI needs a bucket and a key, as s3://bucket/path/name.dump", nameof(uri));
        var bucket = rest[..slash];
        var key = rest[(slash + 1)..];
        return new S3ObjectLocation(bucket, key);
    }

    public override string ToString() => $"{Scheme}{Bucket}/{Key}";
}
