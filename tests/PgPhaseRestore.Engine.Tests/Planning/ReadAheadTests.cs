using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Engine.Tests.Planning;

/// <summary>The scan's read-ahead: every byte once and in order, an early stop that leaves the stream alone, failures as themselves.</summary>
public sealed class ReadAheadTests
{
    [Fact]
    public void Every_byte_arrives_once_and_in_order_whatever_sizes_the_stream_reads_in()
    {
        var data = new byte[5_300_001];
        new Random(7).NextBytes(data);
        using var source = new ChoppyStream(data);
        var received = new MemoryStream();
        ReadAhead.Pump(source, chunk => { received.Write(chunk); return true; }, default);
        Assert.Equal(data, received.ToArray());
    }

    [Fact]
    public void A_consumer_that_stops_ends_the_reading_before_the_pump_returns()
    {
        var data = new byte[64 << 20];
        using var source = new ChoppyStream(data);
        int chunks = 0;
        ReadAhead.Pump(source, _ => ++chunks < 2, default);
        // No read is under way once the pump has returned, and none starts after it.
        Assert.Equal(0, source.ReadsUnderWay);
        long readWhenReturned = source.Position;
        Thread.Sleep(100);
        Assert.Equal(readWhenReturned, source.Position);
        Assert.Equal(2, chunks);
        // Read ahead by a few buffers at most, never to the end.
        Assert.InRange(readWhenReturned, 2 << 20, 8 << 20);
    }

    [Fact]
    public void A_read_failure_is_thrown_as_itself_after_every_byte_read_before_it()
    {
        const int failAt = (2 << 20) + 12_345;
        var data = new byte[3 << 20];
        new Random(11).NextBytes(data);
        using var source = new ChoppyStream(data) { FailAt = failAt };
        var received = new MemoryStream();
        var ex = Assert.Throws<InvalidDataException>(() => ReadAhead.Pump(source, chunk => { received.Write(chunk); return true; }, default));
        Assert.Equal($"damaged at {failAt}", ex.Message);
        Assert.Equal(data[..failAt], received.ToArray());
    }

    [Fact]
    public void Cancellation_stops_the_pump()
    {
        using var cts = new CancellationTokenSource();
        using var source = new ChoppyStream(new byte[64 << 20]);
        int chunks = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => ReadAhead.Pump(source, _ => { chunks++; cts.Cancel(); return true; }, cts.Token));
        // The buffer being consumed was the last: nothing queued behind it is measured after the cancellation.
        Assert.Equal(1, chunks);
        Assert.Equal(0, source.ReadsUnderWay);
        Assert.True(source.Position < 64 << 20);
    }

    /// <summary>Reads in uneven pieces, can fail at an offset, and counts the reads under way.</summary>
    private sealed class ChoppyStream(byte[] data) : Stream
    {
        private long _position;
        private int _turn;
        private int _underWay;

        public long? FailAt { get; init; }

        public int ReadsUnderWay => Volatile.Read(ref _underWay);

        public override int Read(byte[] buffer, int offset, int count)
        {
            Interlocked.Increment(ref _underWay);
            try
            {
                // A read takes a moment, so one still running when the pump returns would be seen.
                Thread.SpinWait(2000);
                if (FailAt is { } at && _position >= at)
                    throw new InvalidDataException($"damaged at {at}");
                int piece = (int)Math.Min(Math.Min(count, 1 + (_turn++ * 7919 % 300_000)), data.Length - _position);
                if (FailAt is { } stop)
                    piece = (int)Math.Min(piece, stop - _position);
                data.AsSpan((int)_position, piece).CopyTo(buffer.AsSpan(offset));
                Interlocked.Add(ref _position, piece);
                return piece;
            }
            finally
            {
                Interlocked.Decrement(ref _underWay);
            }
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => Interlocked.Read(ref _position); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
