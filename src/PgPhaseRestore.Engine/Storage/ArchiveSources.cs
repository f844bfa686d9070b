namespace PgPhaseRestore.Engine.Storage;

/// <summary>Opens the right kind of source for a location: a file, a directory-format folder or an object in a bucket.</summary>
internal static class ArchiveSources
{
    public static IArchiveSource Open(ArchiveLocation location)
    {
        if (string.IsNullOrWhiteSpace(location.Path))
            throw new PgPhaseException("an archive location is required: a file, a directory-format folder or s3://bucket/key", PgPhaseErrorCode.InvalidInput);
        if (location.IsBucket)
            return OpenObject(location);
        return Directory.Exists(location.Path) ? new DirectorySource(location.Path) : new LocalFileSource(location.Path);
    }

    // Apart, so that reading a local archive never loads the AWS SDK.
    private static IArchiveSource OpenObject(ArchiveLocation location)
    {
        // The URI is checked before a client is made: a malformed one is the first thing to say.
        var target = S3ObjectLocation.Parse(location.Path);
        return new S3ObjectSource(location.CreateClient()!, target, ownsClient: true);
    }
}
