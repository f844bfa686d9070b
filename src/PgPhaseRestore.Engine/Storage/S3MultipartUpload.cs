using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>Bytes written so far by a streaming upload.</summary>
internal sealed record UploadProgress(long Bytes, int PartsStarted, int PartsDone, long CurrentPartSize);

/// <summary>
/// Streams a source of unknown length into one multipart upload: parts grow as the upload proceeds, a
/// bounded number are in memory at once, each is sent with its MD5 and retried with backoff, and SHA-256 is
/// computed on the way. Nothing is visible until <see cref="CompleteAsync"/>; on any failure call
/// <see cref="AbortAsync"/>, so that no partial object appears and no incomplete upload is left to pay for.
/// </summary>
internal sealed class S3MultipartUpload
{
    private readonly IAmazonS3 _client;
    private readonly MultipartOptions _options;
    private readonly bool _checkETags;
    private readonly SortedDictionary<int, string> _etags = [];
    private readonly SortedDictionary<int, byte[]> _md5s = [];
    private readonly SegmentPool _pool = new();
    private long _bytes;
    private int _partsStarted;
    private int _partsDone;

    private S3MultipartUpload(IAmazonS3 client, S3ObjectLocation location, string uploadId, MultipartOptions options, bool checkETags)
    {
        _client = client;
        Location = location;
        UploadId = uploadId;
        _options = options;
        _checkETags = checkETags;
    }

    public S3ObjectLocation Location { get; }
    public string UploadId { get; }
    public long Size => Interlocked.Read(ref _bytes);
    public int PartCount => _etags.Count;
    public string? Sha256 { get; private set; }

    /// <summary>
    /// Starts an upload. <paramref name="genericServer"/>: the server is not AWS, so a part's ETag is its MD5
    /// and is compared with what was sent (AWS verifies the Content-MD5 header itself, and its ETags are not
    /// MD5s under KMS encryption).
    /// </summary>
    public static async Task<S3MultipartUpload> StartAsync(IAmazonS3 client, S3ObjectLocation location, MultipartOptions options,
        bool genericServer, IDictionary<string, string>? metadata, CancellationToken ct)
    {
        options.Validate();
        var request = new InitiateMultipartUploadRequest { BucketName = location.Bucket, Key = location.Key, ContentType = "application/octet-stream" };
        if (metadata is not null)
            foreach (var (k, v) in metadata)
                request.Metadata.Add(k, v);
        var response = await S3Errors.CallAsync(client, location, "start the upload",
            () => client.InitiateMultipartUploadAsync(request, ct), ct).ConfigureAwait(false);
        return new S3MultipartUpload(client, location, response.UploadId, options, genericServer);
    }

    /// <summary>
    /// Aborts the incomplete uploads of exactly <paramref name="location"/>'s key (not of keys it is a prefix of),
    /// left by runs that were killed before they could abort their own. Returns what was aborted, as log lines.
    /// A server that cannot list uploads is reported in the result, not as a failure.
    /// </summary>
    public static async Task<IReadOnlyList<string>> AbortEarlierUploadsAsync(IAmazonS3 client, S3ObjectLocation location, CancellationToken ct)
    {
        var done = new List<string>();
        var request = new ListMultipartUploadsRequest { BucketName = location.Bucket, Prefix = location.Key };
        while (true)
        {
            ListMultipartUploadsResponse page;
            try
            {
                page = await client.ListMultipartUploadsAsync(request, ct).ConfigureAwait(false);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.NotImplemented or HttpStatusCode.Forbidden or HttpStatusCode.MethodNotAllowed)
            {
                done.Add($"{location}: incomplete uploads of earlier runs could not be listed ({ex.ErrorCode}); any left are billed until a lifecycle rule removes them");
                return done;
            }
            catch (Exception ex) when (S3Errors.Map(client, location, ex, "list incomplete uploads", ct) is { } mapped)
            {
                throw mapped;
            }
            foreach (var upload in page.MultipartUploads ?? [])
            {
                if (upload.Key != location.Key)
                    continue;
                var started = upload.Initiated is { } at ? $" started {at.ToUniversalTime():u}" : "";
                try
                {
                    await client.AbortMultipartUploadAsync(
                        new AbortMultipartUploadRequest { BucketName = location.Bucket, Key = location.Key, UploadId = upload.UploadId }, ct).ConfigureAwait(false);
                    done.Add($"{location}: aborted the incomplete upload {upload.UploadId}{started}, left by an earlier run");
                }
                catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchUpload")
                {
                    // Aborted or completed meanwhile: nothing left to clean.
                }
                catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotImplemented or HttpStatusCode.MethodNotAllowed)
                {
                    done.Add($"{location}: the incomplete upload {upload.UploadId}{started}, left by an earlier run, could not be aborted ({ex.ErrorCode}); it is billed until a lifecycle rule removes it");
                }
                catch (Exception ex) when (S3Errors.Map(client, location, ex, "abort an earlier upload", ct) is { } mapped)
                {
                    throw mapped;
                }
            }
            if (page.IsTruncated != true)
                return done;
            request.KeyMarker = page.NextKeyMarker;
            request.UploadIdMarker = page.NextUploadIdMarker;
        }
    }

    /// <summary>Reads <paramref name="input"/> to its end and uploads every part. Does not complete the upload.</summary>
    public async Task UploadFromAsync(Stream input, IProgress<UploadProgress>? progress, CancellationToken ct)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var slots = new SemaphoreSlim(_options.PartsInFlight);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var uploads = new List<Task>();
        try
        {
            for (int partNumber = 1; ; partNumber++)
            {
                await slots.WaitAsync(failed.Token).ConfigureAwait(false);
                long size = _options.PartSize(partNumber);
                PartBuffer? part;
                try
                {
                    part = await NextPartAsync(input, partNumber, size, failed.Token).ConfigureAwait(false);
                }
                catch
                {
                    slots.Release();
                    throw;
                }
                if (part is null)
                {
                    slots.Release();
                    break;
                }
                foreach (var chunk in part.Chunks())
                    sha.AppendData(chunk.Span);
                Interlocked.Add(ref _bytes, part.Length);
                _partsStarted = partNumber;
                bool last = part.Length < size;
                uploads.Add(UploadInBackground(partNumber, part, size, slots, failed, progress));
                if (last)
                    break;
            }
        }
        catch (OperationCanceledException) when (failed.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // Only a part's failure cancels this without the caller. The part cancels before its task is faulted, so
            // the fault may not show yet: its exception, awaited below, says why.
        }
        try
        {
            await Task.WhenAll(uploads).ConfigureAwait(false);
        }
        catch when (uploads.FirstOrDefault(t => t.IsFaulted && t.Exception!.InnerException is not OperationCanceledException) is { } first)
        {
            throw first.Exception!.InnerException!;
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            // Never a bare cancellation, which hosts take for a stop that nobody asked for.
            throw new IOException($"{Location}: a part's upload ended cancelled ({ex.Message})", ex);
        }
        ct.ThrowIfCancellationRequested();
        // Whatever ended the parts, an upload that lost one is never completed.
        if (failed.IsCancellationRequested)
            throw new IOException($"{Location}: a part's upload failed before the dump was read to its end");
        Sha256 = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>The next part read from the source, or null when the source ended at a part boundary.</summary>
    private async Task<PartBuffer?> NextPartAsync(Stream input, int partNumber, long size, CancellationToken ct)
    {
        var part = new PartBuffer(_pool);
        try
        {
            await part.FillAsync(input, size, ct).ConfigureAwait(false);
            if (part.Length == 0 && partNumber > 1)
            {
                part.Dispose();
                return null;
            }
            if (partNumber > _options.MaxParts)
                throw new IOException($"{Location}: the dump is larger than {SizeText.Format(_options.MaxObjectSize)}, the most {_options.MaxParts} parts of at most {SizeText.Format(_options.MaxPartSize)} can hold; raise the part size");
            return part;
        }
        catch
        {
            part.Dispose();
            throw;
        }
    }

    /// <summary>Uploads a part while the next is read; the first part that cannot be stored stops the others and the reading.</summary>
    private Task UploadInBackground(int number, PartBuffer part, long size, SemaphoreSlim slots, CancellationTokenSource failed, IProgress<UploadProgress>? progress) =>
        Task.Run(async () =>
        {
            try
            {
                await UploadPartAsync(number, part, failed.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _partsDone);
                progress?.Report(new UploadProgress(Size, _partsStarted, _partsDone, size));
            }
            catch
            {
                failed.Cancel();
                throw;
            }
            finally
            {
                part.Dispose();
                slots.Release();
            }
        }, CancellationToken.None);

    private async Task UploadPartAsync(int number, PartBuffer part, CancellationToken ct)
    {
        string md5 = Md5(part, out string md5Hex);
        lock (_md5s)
            _md5s[number] = Convert.FromHexString(md5Hex);
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                var response = await _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = Location.Bucket,
                    Key = Location.Key,
                    UploadId = UploadId,
                    PartNumber = number,
                    PartSize = part.Length,
                    InputStream = part.OpenRead(),
                    MD5Digest = md5,
                    // aws-chunked framing is stored as data by some non-AWS servers; plain bodies work everywhere.
                    UseChunkEncoding = false,
                }, ct).ConfigureAwait(false);
                var etag = response.ETag?.Trim('"') ?? "";
                if (_checkETags && etag.Length == 32 && !etag.Equals(md5Hex, StringComparison.OrdinalIgnoreCase))
                    throw new PartDigestMismatchException($"{Location}: part {number} was stored with MD5 {etag} but {md5Hex} was sent");
                lock (_etags)
                    _etags[number] = response.ETag!;
                return;
            }
            catch (Exception ex) when (attempt < _options.Retries && S3Errors.IsTransient(ex) && !ct.IsCancellationRequested)
            {
                await Task.Delay(Backoff(attempt), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not PartDigestMismatchException && S3Errors.Map(_client, Location, ex, $"upload part {number}", ct, attempt > 0 ? attempt + 1 : null) is { } mapped)
            {
                throw mapped;
            }
        }
    }

    /// <summary>The ETag S3 gives a multipart object: the MD5 of the parts' MD5s, then the part count.</summary>
    public string ExpectedETag
    {
        get
        {
            lock (_md5s)
                return Convert.ToHexString(MD5.HashData(_md5s.Values.SelectMany(d => d).ToArray())).ToLowerInvariant() + "-" + _md5s.Count;
        }
    }

    /// <summary>
    /// Makes the object visible, then checks that the server holds exactly the bytes streamed. With
    /// <paramref name="onlyIfAbsent"/> the completion carries If-None-Match: *, so a server that supports
    /// conditional writes refuses it when an object appeared at the key meanwhile; servers that ignore the
    /// header complete it anyway (callers guard the key by other means too).
    /// </summary>
    public async Task CompleteAsync(bool onlyIfAbsent, Action<string>? log, CancellationToken ct)
    {
        var request = new CompleteMultipartUploadRequest { BucketName = Location.Bucket, Key = Location.Key, UploadId = UploadId };
        lock (_etags)
            request.PartETags = _etags.Select(kv => new PartETag(kv.Key, kv.Value)).ToList();
        if (onlyIfAbsent)
            request.IfNoneMatch = "*";
        try
        {
            await _client.CompleteMultipartUploadAsync(request, ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (onlyIfAbsent && ConditionalWrites.IsUnsupported(ex))
        {
            log?.Invoke($"{Location}: the server does not support If-None-Match on CompleteMultipartUpload ({ex.ErrorCode}); completing without it, under the backup lock");
            request.IfNoneMatch = null;
            await S3Errors.CallAsync(_client, Location, "complete the upload", () => _client.CompleteMultipartUploadAsync(request, ct), ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (onlyIfAbsent && ConditionalWrites.IsRefused(ex))
        {
            // A retried completion of this very upload is refused the same way: its ETag tells the two apart.
            var existing = await S3Errors.CallAsync(_client, Location, "read the object", () => _client.GetObjectMetadataAsync(Location.Bucket, Location.Key, ct), ct).ConfigureAwait(false);
            if (!string.Equals(existing.ETag?.Trim('"'), ExpectedETag, StringComparison.OrdinalIgnoreCase))
                throw PgPhaseException.Storage(Location.ToString(),
                    $"the server refused to complete the upload ({ex.ErrorCode}): an object of {SizeText.Format(existing.ContentLength)} was written at this key by someone else while this upload ran, and was left as it is",
                    ex, PgPhaseErrorCode.ArchiveAlreadyExists);
        }
        catch (Exception ex) when (S3Errors.Map(_client, Location, ex, "complete the upload", ct) is { } mapped)
        {
            throw mapped;
        }

        var head = await S3Errors.CallAsync(_client, Location, "read the object", () => _client.GetObjectMetadataAsync(Location.Bucket, Location.Key, ct), ct).ConfigureAwait(false);
        if (head.ContentLength != Size)
        {
            // Completed but wrong: remove it rather than leave a damaged object where a backup is expected.
            await S3Errors.CallAsync(_client, Location, "delete the object", () => _client.DeleteObjectAsync(Location.Bucket, Location.Key, CancellationToken.None), ct).ConfigureAwait(false);
            throw new IOException($"{Location}: the server reported {head.ContentLength} bytes after completing the upload, but {Size} were sent; the object was deleted");
        }
    }

    /// <summary>
    /// Aborts the upload; returns null when the server confirmed, otherwise what the operator must clean up. It runs
    /// as a backup fails or is stopped, so an endpoint that stopped answering gets seconds, not minutes: a stop must
    /// return, and the parts left are named for the operator (or a lifecycle rule) to remove.
    /// </summary>
    public async Task<string?> AbortAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Location.Bucket, Key = Location.Key, UploadId = UploadId }, timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or IOException or HttpRequestException or OperationCanceledException)
        {
            var reason = S3Errors.TransportReason(ex) is { } r ? $"the endpoint {S3Errors.Endpoint(_client)} did not answer: {r}" : ex.Message.Split('\n', 2)[0];
            return $"the incomplete upload {UploadId} of {Location} could not be aborted ({reason}); abort it (aws s3api abort-multipart-upload) or let a lifecycle rule remove it, as its parts are billed";
        }
    }

    internal static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(30_000, 500 * Math.Pow(2, attempt)) * (0.75 + Random.Shared.NextDouble() * 0.5));

    private static string Md5(PartBuffer part, out string hex)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        foreach (var chunk in part.Chunks())
            md5.AppendData(chunk.Span);
        var digest = md5.GetHashAndReset();
        hex = Convert.ToHexString(digest).ToLowerInvariant();
        return Convert.ToBase64String(digest);
    }

    /// <summary>The server stored other bytes than were sent: retried like a transfer error, but reported as what it is.</summary>
    private sealed class PartDigestMismatchException(string message) : IOException(message);
}
