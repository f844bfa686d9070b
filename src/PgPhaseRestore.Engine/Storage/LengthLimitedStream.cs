namespace PgPhaseRestore.Engine.Storage;

/// <summary>Exposes only the next <c>length</c> bytes of a stream: one member of a tar file.</summary>
internal sealed class LengthLimitedStream(Stream inner, long length) : ForwardReadStream
{
    private readonly long _length = length;
    private long _remaining = length;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_remaining <= 0)
            return 0;
        if (buffer.Length > _remaining)
            buffer = buffer[..(int)_remaining];
        int n = inner.Read(buffer);
        _remaining -= n;
        return n;
    }

    public override long Length => _length;
    public override long Position { get => _length - _remaining; set => throw new NotSupportedException(); }
}
