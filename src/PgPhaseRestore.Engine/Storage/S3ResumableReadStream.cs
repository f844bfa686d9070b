using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>
/// Reads a whole object, or one range of it, forward in one GET; when the connection drops, it asks again with a
/// Range from the last byte received (and If-Match on the first response's ETag, so a replaced object is never
/// spliced in). Retries back off exponentially; the caller sees one unbroken stream.
/// </summary>
internal sealed class S3ResumableReadStream : ForwardReadStream
{
    private readonly IAmazonS3 _client;
    private readonly S3ObjectLocation _location;
    private readonly int _retries;
    private readonly Action<string>? _log;
    private GetObjectResponse? _response;
    private Stream? _body;
    private string? _etag;
    private readonly long _start;
    private readonly bool _ranged;
    private long _position;
    private long _length = -1;
    private bool _abandoned;

    /// <summary>The whole object, or with <paramref name="length"/> the bytes from <paramref name="start"/> on.</summary>
    public S3ResumableReadStream(IAmazonS3 client, S3ObjectLocation location, int retries, Action<string>? log, long start = 0, long? length = null)
    {
        _client = client;
        _location = location;
        _retries = retries;
        _log = log;
        _start = start;
        if (length is { } n)
            (_length, _ranged) = (n, true);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        for (int failures = 0; ; )
        {
            try
            {
                if (_body is null)
                    await OpenAsync(ct).ConfigureAwait(false);
                int n = await _body!.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n > 0)
                {
                    _position += n;
                    return n;
                }
                if (_position >= _length)
                    return 0;
                throw new IOException($"the connection closed at byte {_start + _position} of {_location}, {_length - _position} bytes short");
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && S3Errors.IsTransient(ex) && failures < _retries)
            {
                failures++;
                CloseBody();
                var delay = S3MultipartUpload.Backoff(failures - 1);
                _log?.Invoke($"{_location}: read interrupted at byte {_start + _position} ({ex.Message}); resuming from there in {delay.TotalSeconds:F1} s (attempt {failures} of {_retries})");
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
            catch (AmazonS3Exception ex) when (ex.ErrorCode == "PreconditionFailed" || ex.StatusCode == System.Net.HttpStatusCode.PreconditionFailed)
            {
                throw PgPhaseException.Storage(_location.ToString(), $"the object was replaced while being read (at byte {_start + _position}); start again", ex);
            }
            catch (Exception ex) when (S3Errors.Map(_client, _location, ex, $"read the object at byte {_start + _position}", ct, failures > 0 ? failures + 1 : null) is { } mapped)
            {
                throw mapped;
            }
        }
    }

    private async Task OpenAsync(CancellationToken ct)
    {
        var request = new GetObjectRequest { BucketName = _location.Bucket, Key = _location.Key };
        if (_position > 0 || _ranged)
            request.ByteRange = new ByteRange(_start + _position, _start + _length - 1);
        if (_position > 0)
            request.EtagToMatch = _etag;
        var response = await _client.GetObjectAsync(request, ct).ConfigureAwait(false);
        if (_position == 0)
        {
            _etag = response.ETag;
            if (!_ranged)
                _length = response.ContentLength;
            else if (response.ContentLength != _length)
                throw PgPhaseException.Storage(_location.ToString(), $"asked for {_length} bytes from byte {_start}, the server sent {response.ContentLength}; the object is shorter than expected");
        }
        _response = response;
        _body = response.ResponseStream;
    }

    /// <summary>
    /// The reader failed already (a block that fails its own SHA-256, a closed pipe): closing the body then skips the
    /// SDK's check of the object's stored checksum, whose "Expected hash not equal" would take that failure's place.
    /// </summary>
    public void Abandon() => _abandoned = true;

    private void CloseBody()
    {
        try
        {
            _body?.Dispose();
            _response?.Dispose();
        }
        catch (Exception ex) when (ex is IOException or AmazonServiceException)
        {
        }
        // The SDK checks the stored checksum as the body closes: a damaged object, named, unless a failure is on its way.
        catch (AmazonClientException ex) when (S3Errors.IsChecksumMismatch(ex))
        {
            _body = null;
            _response = null;
            if (!_abandoned)
                throw S3Errors.Map(_client, _location, ex, "read the object", CancellationToken.None)!;
        }
        _body = null;
        _response = null;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            CloseBody();
        base.Dispose(disposing);
    }

    public override long Length => _length >= 0 ? _length : throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
}
