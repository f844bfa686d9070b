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
        long readWhenReturned = source.Position;
        source.Closed = true;
        Thread.Sleep(200);
        Assert.Equal(2, chunks);
        Assert.Equal(0, source.ReadsAfterClose);
        // Read ahead by a few buffers at most, never to the end.
        Assert.InRange(readWhenReturned, 2 << 20, 8 << 20);
    }

    [Fact]
    public void A_read_failure_is_thrown_as_itself_after_the_bytes_before_it()
    {
        var data = new byte[3 << 20];
        using var source = new ChoppyStream(data) { FailAt = 2 << 20 };
        long received = 0;
        var ex = Assert.Throws<InvalidDataException>(() => ReadAhead.Pump(source, chunk => { received += chunk.Length; return true; }, default));
        Assert.Equal("damaged at 2097152", ex.Message);
        Assert.Equal(2L << 20, received);
    }

    [Fact]
    public void Cancellation_stops_the_pump()
    {
        using var cts = new CancellationTokenSource();
        using var source = new ChoppyStream(new byte[64 << 20]);
        Assert.ThrowsAny<OperationCanceledException>(() => ReadAhead.Pump(source, _ => { cts.Cancel(); return true; }, cts.Token));
        Assert.True(source.Position < 64 << 20);
    }

    /// <summary>Reads in uneven pieces, can fail at an offset, and counts reads made after it was closed.</summary>
    private sealed class ChoppyStream(byte[] data) : Stream
    {
        private long _position;
        private int _turn;
        private int _closed;
        private int _readsAfterClose;

        public long? FailAt { get; init; }

        public bool Closed { get => Volatile.Read(ref _closed) != 0; set => Volatile.Write(ref _closed, value ? 1 : 0); }

        public int ReadsAfterClose => Volatile.Read(ref _readsAfterClose);

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (Closed)
                Interlocked.Increment(ref _readsAfterClose);
            if (FailAt is { } at && _position >= at)
                throw new InvalidDataException($"damaged at {at}");
            int piece = (int)Math.Min(Math.Min(count, 1 + (_turn++ * 7919 % 300_000)), data.Length - _position);
            if (FailAt is { } stop)
                piece = (int)Math.Min(piece, stop - _position);
            data.AsSpan((int)_position, piece).CopyTo(buffer.AsSpan(offset));
            _position += piece;
            return piece;
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
