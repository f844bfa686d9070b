namespace PgPhaseRestore.Engine.Storage;

internal enum ArchiveSourceKind
{
    File,
    Directory,
    S3Object,
}

/// <summary>Where an archive lives: a local file, a directory-format folder, or an object in a bucket.</summary>
internal interface IArchiveSource : IDisposable
{
    /// <summary>The path or s3:// URI, as the user would write it.</summary>
    string Location { get; }

    ArchiveSourceKind Kind { get; }

    /// <summary>The file that holds header and TOC, named for messages: the archive itself or its toc.dat.</summary>
    string TocFileDescription { get; }

    /// <summary>Bytes fetched from storage so far (for a bucket: the sum of the ranges transferred).</summary>
    long BytesTransferred { get; }

    /// <summary>Opens a forward-only stream over the file that holds header and TOC, from its first byte.</summary>
    Task<Stream> OpenTocStreamAsync(CancellationToken cancellationToken);
}
