namespace PgPhaseRestore.Engine.Storage;

/// <summary>A custom or tar archive in a local file.</summary>
internal sealed class LocalFileSource : IArchiveSource
{
    private readonly CountingCounter _counter = new();

    public LocalFileSource(string path)
    {
        Location = path;
        FullPath = Path.GetFullPath(path);
        if (Directory.Exists(FullPath))
            throw PgPhaseException.Storage(path, "is a directory; read it as a directory-format archive");
        if (!File.Exists(FullPath))
            throw PgPhaseException.Storage(path, "no such file", code: PgPhaseErrorCode.ArchiveNotFound);
    }

    public string Location { get; }
    public string FullPath { get; }
    public ArchiveSourceKind Kind => ArchiveSourceKind.File;
    public string TocFileDescription => Location;
    public long BytesTransferred => _counter.Value;

    public Task<Stream> OpenTocStreamAsync(CancellationToken cancellationToken) =>
        Task.FromResult(CountingReadStream.OpenFile(FullPath, Location, _counter));

    public void Dispose() { }
}
