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

    /// <summary>
    /// Hands <paramref name="consume"/> the bytes of <paramref name="source"/> in order until the stream ends or
    /// <paramref name="consume"/> returns false; a failure to read is thrown here, as if read on this thread.
    /// </summary>
    public static void Pump(Stream source, Consumer consume, CancellationToken ct)
    {
        var filled = Channel.CreateBounded<(byte[] Buffer, int Count)>(new BoundedChannelOptions(BuffersAhead) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reader = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                    int n = Fill(source, buffer, stop.Token);
                    if (n == 0)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        break;
                    }
                    await filled.Writer.WriteAsync((buffer, n), stop.Token).ConfigureAwait(false);
                }
                filled.Writer.Complete();
            }
            catch (Exception ex)
            {
                filled.Writer.Complete(ex);
            }
        }, CancellationToken.None);
        try
        {
            while (WaitToRead(filled.Reader))
            {
                while (filled.Reader.TryRead(out var item))
                {
                    bool more = consume(item.Buffer.AsSpan(0, item.Count));
                    ArrayPool<byte>.Shared.Return(item.Buffer);
                    if (!more)
                        return;
                }
            }
        }
        finally
        {
            // The reader stops before the stream it reads is disposed by the caller.
            stop.Cancel();
            try { reader.GetAwaiter().GetResult(); } catch (OperationCanceledException) { }
            while (filled.Reader.TryRead(out var left))
                ArrayPool<byte>.Shared.Return(left.Buffer);
        }
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>Waits for the next buffer; a read failure surfaces as itself, not wrapped.</summary>
    private static bool WaitToRead(ChannelReader<(byte[], int)> reader)
    {
        try
        {
            return reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }
    }

    /// <summary>Fills the buffer as far as the stream goes, so each hand-over carries a full megabyte.</summary>
    private static int Fill(Stream source, byte[] buffer, CancellationToken ct)
    {
        int total = 0;
        while (total < BufferSize)
        {
            ct.ThrowIfCancellationRequested();
            int n = source.Read(buffer, total, BufferSize - total);
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }
}
