using Amazon.S3;
using Amazon.S3.Model;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>
/// Reads an object forward with ranged GETs of growing size, so that a reader that stops early
/// (the TOC is at the front) transfers little more than it consumed.
/// </summary>
internal sealed class S3RangeReadStream : ForwardReadStream
{
    private const int FirstRange = 64 * 1024;
    private const int LargestRange = 8 * 1024 * 1024;

    private readonly IAmazonS3 _client;
    private readonly S3ObjectLocation _location;
    private readonly CountingCounter _counter;
    private readonly CancellationToken _cancellationToken;
    private byte[] _buffer = [];
    private int _bufferPos;
    private int _bufferLen;
    private long _nextOffset;
    private long? _objectSize;
    private int _nextRange = FirstRange;

    public S3RangeReadStream(IAmazonS3 client, S3ObjectLocation location, CountingCounter counter, CancellationToken cancellationToken)
    {
        _client = client;
        _location = location;
        _counter = counter;
        _cancellationToken = cancellationToken;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        if (_bufferPos == _bufferLen && !Fill())
            return 0;
        int n = Math.Min(destination.Length, _bufferLen - _bufferPos);
        _buffer.AsSpan(_bufferPos, n).CopyTo(destination);
        _bufferPos += n;
        return n;
    }

    private bool Fill()
    {
        if (_objectSize is { } size && _nextOffset >= size)
            return false;
        long end = _nextOffset + _nextRange - 1;
        if (_objectSize is { } known)
            end = Math.Min(end, known - 1);
        // Synchronous by design: the TOC parser is synchronous and runs on a worker thread.
        var (data, total) = FetchAsync(_nextOffset, end).GetAwaiter().GetResult();
        _objectSize = total;
        if (data.Length == 0)
            return false;
        _buffer = data;
        _bufferPos = 0;
        _bufferLen = data.Length;
        _nextOffset += data.Length;
        _nextRange = Math.Min(_nextRange * 2, LargestRange);
        return true;
    }

    private async Task<(byte[] Data, long Total)> FetchAsync(long start, long end)
    {
        try
        {
            using var response = await _client.GetObjectAsync(new GetObjectRequest
            {
                BucketName = _location.Bucket,
                Key = _location.Key,
                ByteRange = new ByteRange(start, end),
            }, _cancellationToken).ConfigureAwait(false);
            using var body = new MemoryStream();
            await response.ResponseStream.CopyToAsync(body, _cancellationToken).ConfigureAwait(false);
            _counter.Add(body.Length);
            return (body.ToArray(), ParseTotal(response.ContentRange) ?? start + body.Length);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "InvalidRange")
        {
            // Asked past the end (an empty object, or one shorter than the first range).
            return ([], start);
        }
        catch (Exception ex) when (S3Errors.Map(_client, _location, ex, "read the object", _cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    // "bytes 0-65535/1048576" -> 1048576
    private static long? ParseTotal(string? contentRange)
    {
        if (string.IsNullOrEmpty(contentRange))
            return null;
        int slash = contentRange.LastIndexOf('/');
        return slash >= 0 && long.TryParse(contentRange[(slash + 1)..], out long total) ? total : null;
    }

    public override long Length => _objectSize ?? throw new NotSupportedException();
    public override long Position { get => _nextOffset - (_bufferLen - _bufferPos); set => throw new NotSupportedException(); }
}
