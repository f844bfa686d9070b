namespace PgPhaseRestore.Engine.Storage;

/// <summary>Opens the right kind of source for a path, a directory or an s3:// URI.</summary>
public static class ArchiveSources
{
    public static IArchiveSource Open(string location, S3Settings? s3 = null)
    {
        if (string.IsNullOrWhiteSpace(location))
            throw new ArgumentException("an archive location is required: a file, a directory-format folder or s3://bucket/key");
        if (S3ObjectLocation.IsS3Uri(location))
            return OpenObject(S3ObjectLocation.Parse(location), s3);
        return Directory.Exists(location) ? new DirectorySource(location) : new LocalFileSource(location);
    }

    // Apart, so that reading a local archive never loads the AWS SDK.
    private static IArchiveSource OpenObject(S3ObjectLocation target, S3Settings? s3) =>
        new S3ObjectSource(S3ClientFactory.Create(s3 ?? S3Settings.FromEnvironment()), target, ownsClient: true);
}
