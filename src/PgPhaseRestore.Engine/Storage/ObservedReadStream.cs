namespace PgPhaseRestore.Engine.Storage;

/// <summary>Shown bytes as they pass, valid only during the call.</summary>
internal delegate void ByteObserver(ReadOnlySpan<byte> data);

/// <summary>
/// Passes a stream through unchanged and shows every byte read to an observer, in place: nothing is copied or
/// kept, so watching a dump as it streams costs no memory.
/// </summary>
internal sealed class ObservedReadStream(Stream inner, ByteObserver observer) : ForwardReadStream
{
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        observer(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        observer(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
