namespace PgPhaseRestore.Engine.Storage;

/// <summary>Opens the right kind of source for a path, a directory or an s3:// URI.</summary>
public static class ArchiveSources
{
    public static IArchiveSource Open(string location, S3Settings? s3 = null)
    {
        if (string.IsNullOrWhiteSpace(location))
            throw new ArgumentException("an archive location is required: a file, a directory-format folder or s3://bucket/key");
        if (S3ObjectLocation.IsS3Uri(location))
        {
            var target = S3ObjectLocation.Parse(location);
            return new S3ObjectSource(S3ClientFactory.Create(s3 ?? S3Settings.FromEnvironment()), target, ownsClient: true);
        }
        return Directory.Exists(location) ? new DirectorySource(location) : new LocalFileSource(location);
    }
}
