namespace PgPhaseRestore.Engine.Storage;

/// <summary>Reads one stream, then another: used to put back bytes read ahead while sniffing a format.</summary>
internal sealed class ConcatenatedStream(Stream first, Stream second) : ForwardReadStream
{
    private bool _firstDone;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (!_firstDone)
        {
            int n = first.Read(buffer);
            if (n > 0)
                return n;
            _firstDone = true;
        }
        return second.Read(buffer);
    }
}
