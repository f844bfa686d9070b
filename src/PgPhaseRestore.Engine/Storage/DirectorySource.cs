namespace PgPhaseRestore.Engine.Storage;

/// <summary>A directory-format archive: toc.dat plus one data file per table.</summary>
internal sealed class DirectorySource : IArchiveSource
{
    private readonly CountingCounter _counter = new();

    public DirectorySource(string path)
    {
        Location = path;
        FullPath = Path.GetFullPath(path);
        if (!Directory.Exists(FullPath))
            throw PgPhaseException.Storage(path, "no such directory", code: PgPhaseErrorCode.ArchiveNotFound);
        TocPath = System.IO.Path.Combine(FullPath, "toc.dat");
        if (!File.Exists(TocPath))
            throw PgPhaseException.Format(path, null, "directory has no toc.dat, so it is not a pg_dump directory-format archive");
    }

    public string Location { get; }
    public string FullPath { get; }
    public string TocPath { get; }
    public ArchiveSourceKind Kind => ArchiveSourceKind.Directory;
    public string TocFileDescription => System.IO.Path.Combine(Location, "toc.dat");
    public long BytesTransferred => _counter.Value;

    public Task<Stream> OpenTocStreamAsync(CancellationToken cancellationToken) =>
        Task.FromResult(CountingReadStream.OpenFile(TocPath, TocFileDescription, _counter));

    public void Dispose() { }
}
