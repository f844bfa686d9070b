namespace PgPhaseRestore.Engine.Storage;

/// <summary>An s3://bucket/key URI, split.</summary>
internal sealed record S3ObjectLocation(string Bucket, string Key)
{
    public const string Scheme = "s3://";

    public static bool IsS3Uri(string location) => location.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>An object: s3://bucket/key, the key not empty.</summary>
    public static S3ObjectLocation Parse(string uri)
    {
        var (bucket, key) = ParsePrefix(uri);
        if (key.Length == 0)
            throw new PgPhaseException($"{uri}: names a bucket but no object; expected s3://{bucket}/path/name.dump", PgPhaseErrorCode.InvalidInput);
        return new S3ObjectLocation(bucket, key);
    }

    /// <summary>A bucket and a key prefix, possibly empty: s3://bucket, s3://bucket/ or s3://bucket/some/prefix/.</summary>
    public static (string Bucket, string Prefix) ParsePrefix(string uri)
    {
        if (!IsS3Uri(uri))
            throw new PgPhaseException($"{uri}: not an s3:// URI", PgPhaseErrorCode.InvalidInput);
        var rest = uri[Scheme.Length..];
        int slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var key = slash < 0 ? "" : rest[(slash + 1)..];
        if (bucket.Length == 0)
            throw new PgPhaseException($"{uri}: no bucket name after \"s3://\"; expected s3://bucket/path/name.dump", PgPhaseErrorCode.InvalidInput);
        // Letters, digits, dots, hyphens (and underscores, which older buckets and some servers allow): anything
        // else is a typo that would otherwise surface as a signature or DNS error from the SDK.
        var bad = bucket.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'));
        if (bad != default)
            throw new PgPhaseException($"{uri}: bucket name \"{bucket}\" cannot contain \"{bad}\"", PgPhaseErrorCode.InvalidInput);
        return (bucket, key);
    }

    public override string ToString() => $"{Scheme}{Bucket}/{Key}";
}
