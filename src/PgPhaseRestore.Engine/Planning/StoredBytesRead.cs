using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// A table's stored data (compressed or not) as it is read, counted: how far into the table a scan is. The scan
/// decompresses on one thread and measures on another, so the count is read where the decompressed bytes are handed
/// over (<see cref="ReadAhead"/>'s mark), not where they are measured.
/// </summary>
internal sealed class StoredBytesRead(Stream inner, long? total) : ForwardReadStream
{
    private long _read;

    /// <summary>Stored bytes read so far.</summary>
    public long BytesRead => Interlocked.Read(ref _read);

    /// <summary>The share of the table's stored bytes that <paramref name="read"/> bytes are, or null when its stored size is unknown (a piped custom file).</summary>
    public double? FractionOf(long read) => total is > 0 and var t ? Math.Min(1.0, (double)read / t) : null;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        Interlocked.Add(ref _read, n);
        return n;
    }
}
