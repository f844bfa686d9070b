namespace PgPhaseRestore.Engine.Storage;

/// <summary>A shared byte counter, so a source can report what all its streams read.</summary>
internal sealed class CountingCounter
{
    private long _value;
    public long Value => Interlocked.Read(ref _value);
    public void Add(long n) => Interlocked.Add(ref _value, n);
}

/// <summary>Counts bytes read through a stream.</summary>
internal sealed class CountingReadStream(Stream inner, CountingCounter counter) : ForwardReadStream
{
    /// <summary>Opens a local file for counted reading; a permission problem names the file.</summary>
    public static Stream OpenFile(string path, string description, CountingCounter counter)
    {
        try
        {
            return new CountingReadStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024), counter);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw PgPhaseException.Storage(description, "permission denied", ex, PgPhaseErrorCode.ArchiveAccessDenied);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int n)
    {
        counter.Add(n);
        return n;
    }

    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
