using Amazon.S3;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>
/// Where an archive, or a folder or prefix of backups, is and how to reach it: a local path or an s3:// URI, with
/// the S3 settings the host resolved for it from its parameters and the environment. Immutable; the engine adds
/// nothing to it from the environment.
/// </summary>
public sealed class ArchiveLocation
{
    /// <summary>A location and, for an s3:// URI, the settings to reach its bucket.</summary>
    /// <param name="path">A custom or tar file, a directory-format folder, a folder of backups, or an s3:// URI.</param>
    /// <param name="s3">
    /// How to reach the bucket of an s3:// URI; null: the AWS SDK's own defaults (AWS itself, its default
    /// credential chain). Ignored for local paths.
    /// </param>
    public ArchiveLocation(string path, S3Settings? s3 = null)
    {
        Path = path;
        S3 = s3 ?? new S3Settings();
    }

    /// <summary>The path or s3:// URI, as the user wrote it (or the host resolved it).</summary>
    public string Path { get; }

    /// <summary>True for an s3:// URI.</summary>
    public bool IsBucket => S3ObjectLocation.IsS3Uri(Path);

    /// <summary>Internal: settings may carry a secret key, and locations are echoed into messages and objects.</summary>
    internal S3Settings S3 { get; }

    /// <summary>Another path reached the same way: the key a prefix resolves to, the backup a destination received.</summary>
    internal ArchiveLocation At(string path) => new(path, S3);

    /// <summary>A client for the bucket, or null for a local path. The caller disposes it.</summary>
    internal IAmazonS3? CreateClient() => IsBucket ? S3ClientFactory.Create(S3, Path) : null;

    /// <summary>The path or URI, never the settings.</summary>
    public override string ToString() => Path;
}
