using System.Buffers;
using System.Threading.Channels;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// Reads a stream on one thread while its bytes are consumed on the caller's: decompressing a table's data and
/// measuring its rows then take two cores instead of one after the other.
/// </summary>
internal static class ReadAhead
{
    private const int BufferSize = 1 << 20;
    private const int BuffersAhead = 4;

    /// <summary>Takes the next bytes; false when it wants no more.</summary>
    public delegate bool Consumer(ReadOnlySpan<byte> data);

    /// <summary>Takes the next bytes and the mark read just after they were; false when it wants no more.</summary>
    public delegate bool MarkedConsumer(ReadOnlySpan<byte> data, long mark);

    /// <summary>
    /// Hands <paramref name="consume"/> the bytes of <paramref name="source"/> in order until the stream ends or
    /// <paramref name="consume"/> returns false. A failure to read is thrown here, as itself, after every byte read
    /// before it was consumed. When this returns or throws, the stream is no longer being read.
    /// </summary>
    public static void Pump(Stream source, Consumer consume, CancellationToken ct) => Pump(source, null, (data, _) => consume(data), ct);

    /// <summary>
    /// As <see cref="Pump(Stream, Consumer, CancellationToken)"/>, handing each buffer over with what
    /// <paramref name="mark"/> read on the reading thread just after filling it (how far into its source the
    /// stream was then): the consumer, behind by up to <see cref="BuffersAhead"/> buffers, knows where its bytes came from.
    /// </summary>
    public static void Pump(Stream source, Func<long>? mark, MarkedConsumer consume, CancellationToken ct)
    {
        var filled = Channel.CreateBounded<(byte[] Buffer, int Count, long Mark)>(new BoundedChannelOptions(BuffersAhead) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = Task.Run(() => ReadAsync(source, mark, filled.Writer, stop.Token), CancellationToken.None);
        try
        {
            // WaitToReadAsync throws the reader's own failure, not a wrapper of it.
            while (filled.Reader.WaitToReadAsync(ct).AsTask().GetAwaiter().GetResult())
            {
                while (filled.Reader.TryRead(out var item))
                {
                    bool more;
                    try
                    {
                        ct.ThrowIfCancellationRequested();
                        more = consume(item.Buffer.AsSpan(0, item.Count), item.Mark);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(item.Buffer);
                    }
                    if (!more)
                        return;
                }
            }
        }
        finally
        {
            // The reader stops before the caller disposes of the stream or moves its file on.
            stop.Cancel();
            reader.GetAwaiter().GetResult();
            while (filled.Reader.TryRead(out var left))
                ArrayPool<byte>.Shared.Return(left.Buffer);
        }
    }

    /// <summary>Fills buffers and queues them until the stream ends, fails or the pump stops; never throws.</summary>
    private static async Task ReadAsync(Stream source, Func<long>? mark, ChannelWriter<(byte[] Buffer, int Count, long Mark)> filled, CancellationToken stop)
    {
        Exception? failure = null;
        while (failure is null)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            int n = Fill(source, buffer, stop, out failure);
            if (n == 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                break;
            }
            try
            {
                // The bytes read before a failure are handed over first: the consumer sees all there was.
                await filled.WriteAsync((buffer, n, mark?.Invoke() ?? 0), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                failure = ex;
            }
        }
        filled.TryComplete(failure);
    }

    /// <summary>Fills the buffer as far as the stream goes, so each hand-over carries a full megabyte; a failure stops it.</summary>
    private static int Fill(Stream source, byte[] buffer, CancellationToken stop, out Exception? failure)
    {
        failure = null;
        int total = 0;
        try
        {
            while (total < BufferSize)
            {
                stop.ThrowIfCancellationRequested();
                int n = source.Read(buffer, total, BufferSize - total);
                if (n == 0)
                    break;
                total += n;
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        return total;
    }
}
