using Amazon.S3;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>A custom or tar archive stored as one object in an S3-compatible bucket.</summary>
internal sealed class S3ObjectSource : IArchiveSource
{
    private readonly CountingCounter _counter = new();
    private readonly bool _ownsClient;

    public S3ObjectSource(IAmazonS3 client, S3ObjectLocation location, bool ownsClient = false)
    {
        Client = client;
        Object = location;
        _ownsClient = ownsClient;
    }

    public IAmazonS3 Client { get; }
    public S3ObjectLocation Object { get; }
    public string Location => Object.ToString();
    public ArchiveSourceKind Kind => ArchiveSourceKind.S3Object;
    public string TocFileDescription => Location;
    public long BytesTransferred => _counter.Value;

    public Task<Stream> OpenTocStreamAsync(CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new S3RangeReadStream(Client, Object, _counter, cancellationToken));

    public void Dispose()
    {
        if (_ownsClient)
            Client.Dispose();
    }
}
