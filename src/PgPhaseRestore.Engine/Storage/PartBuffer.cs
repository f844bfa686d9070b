using System.Collections.Concurrent;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>
/// Fixed-size segments reused across parts, so a long upload holds no more memory than its largest moment
/// and never asks for multi-gigabyte arrays.
/// </summary>
internal sealed class SegmentPool
{
    public const int SegmentSize = 1024 * 1024;
    private readonly ConcurrentBag<byte[]> _free = [];

    public byte[] Rent() => _free.TryTake(out var segment) ? segment : new byte[SegmentSize];
    public void Return(byte[] segment) => _free.Add(segment);
}

/// <summary>One part's bytes, held in pooled segments and read back as a seekable stream for each attempt.</summary>
internal sealed class PartBuffer : IDisposable
{
    private readonly SegmentPool _pool;
    private readonly List<byte[]> _segments = [];

    public PartBuffer(SegmentPool pool) => _pool = pool;

    public long Length { get; private set; }

    /// <summary>Reads from <paramref name="input"/> until <paramref name="size"/> bytes or the end of the stream.</summary>
    public async Task FillAsync(Stream input, long size, CancellationToken ct)
    {
        while (Length < size)
        {
            int offsetInSegment = (int)(Length % SegmentPool.SegmentSize);
            if (offsetInSegment == 0)
                _segments.Add(_pool.Rent());
            var segment = _segments[^1];
            int want = (int)Math.Min(SegmentPool.SegmentSize - offsetInSegment, size - Length);
            int n = await input.ReadAsync(segment.AsMemory(offsetInSegment, want), ct).ConfigureAwait(false);
            if (n == 0)
                return;
            Length += n;
        }
    }

    public IEnumerable<ReadOnlyMemory<byte>> Chunks()
    {
        long left = Length;
        foreach (var segment in _segments)
        {
            if (left <= 0)
                yield break;
            int n = (int)Math.Min(segment.Length, left);
            yield return segment.AsMemory(0, n);
            left -= n;
        }
    }

    public Stream OpenRead() => new PartStream(this);

    public void Dispose()
    {
        foreach (var segment in _segments)
            _pool.Return(segment);
        _segments.Clear();
        Length = 0;
    }

    private sealed class PartStream(PartBuffer part) : Stream
    {
        private long _position;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> destination)
        {
            int copied = 0;
            while (copied < destination.Length && _position < part.Length)
            {
                var segment = part._segments[(int)(_position / SegmentPool.SegmentSize)];
                int offset = (int)(_position % SegmentPool.SegmentSize);
                int n = (int)Math.Min(Math.Min(SegmentPool.SegmentSize - offset, part.Length - _position), destination.Length - copied);
                segment.AsSpan(offset, n).CopyTo(destination[copied..]);
                copied += n;
                _position += n;
            }
            return copied;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override long Seek(long offset, SeekOrigin origin)
        {
            _position = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => part.Length + offset,
            };
            return _position;
        }

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => part.Length;
        public override long Position { get => _position; set => _position = value; }
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
