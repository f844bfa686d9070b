using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>
/// The lock as an object beside the key. Creation carries If-None-Match: * and replacement If-Match on the
/// ETag read, so servers with conditional writes settle races at once; servers that ignore the headers leave
/// it to the lock's read-back, and servers that reject them get plain writes.
/// </summary>
internal sealed class S3LockStore(IAmazonS3 client, S3ObjectLocation location, Action<string>? log) : ILockStore
{
    private bool _unconditional;

    public string Name => location.ToString();

    public async Task<LockRecord?> ReadAsync(CancellationToken ct)
    {
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    using var response = await client.GetObjectAsync(location.Bucket, location.Key, ct).ConfigureAwait(false);
                    using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
                    var text = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
                    return new LockRecord(text, response.ETag, response.LastModified is { } m ? new DateTimeOffset(m.ToUniversalTime(), TimeSpan.Zero) : null);
                }
                catch (Exception ex) when (attempt < 4 && !ct.IsCancellationRequested && IsTorn(ex))
                {
                    // A server whose writes and deletes are not atomic served the lock while another run replaced or
                    // removed it. Read it again, as a torn record is.
                    log?.Invoke($"{location}: the lock was read mid-write ({ex.Message.Split('\n', 2)[0]}); reading it again");
                    await Task.Delay(250, ct).ConfigureAwait(false);
                }
            }
        }
        catch (AmazonServiceException ex) when (S3Errors.IsNotFound(ex))
        {
            return null;
        }
        catch (AmazonClientException ex) when (!ct.IsCancellationRequested && S3Errors.IsChecksumMismatch(ex))
        {
            // Still failing its checksum after every try: not a read mid-write but an object that two concurrent
            // writes left torn, on a server whose writes are not atomic. Its body is read as a range, which the SDK
            // does not check against the headers, with no version to replace it conditionally: one run's whole record
            // makes the lock that run's, and bytes of both are unreadable, so only the lock's age can tell.
            log?.Invoke($"{location}: the lock fails its checksum on every read; reading its body as it is");
            return await ReadBodyAsync(ct).ConfigureAwait(false);
        }
        catch (ArgumentOutOfRangeException ex) when (!ct.IsCancellationRequested)
        {
            throw PgPhaseException.Storage(location.ToString(), $"could not read the backup lock: the server's answer could not be decoded, as when it is caught mid-write, on the last of 4 tries ({ex.Message.Split('\n', 2)[0]})", ex);
        }
        catch (Exception ex) when (S3Errors.Map(client, location, ex, "read the backup lock", ct) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>The lock's body as a range read (a lock is a few hundred bytes), without its version.</summary>
    private async Task<LockRecord?> ReadBodyAsync(CancellationToken ct)
    {
        try
        {
            var request = new GetObjectRequest { BucketName = location.Bucket, Key = location.Key, ByteRange = new ByteRange(0, MaxLockBytes - 1) };
            using var response = await client.GetObjectAsync(request, ct).ConfigureAwait(false);
            using var reader = new StreamReader(response.ResponseStream, Encoding.UTF8);
            var text = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
            return new LockRecord(text, null, response.LastModified is { } m ? new DateTimeOffset(m.ToUniversalTime(), TimeSpan.Zero) : null);
        }
        catch (AmazonServiceException ex) when (S3Errors.IsNotFound(ex))
        {
            return null;
        }
        catch (Exception ex) when (S3Errors.Map(client, location, ex, "read the backup lock", ct) is { } mapped)
        {
            throw mapped;
        }
    }

    private const long MaxLockBytes = 1 << 20;

    /// <summary>
    /// What a read caught mid-write looks like, measured against s3rver: a body shorter than the length its headers
    /// promised (an IOException while reading it), a body that fails its checksum (the SDK's client exception, with no
    /// transport failure or missing credentials behind it), or headers from one version beside another's body, which
    /// the SDK fails to decode (ArgumentOutOfRangeException). A server that cannot be reached is left to the SDK's own
    /// retries, and every answer the server gives (denied, no such bucket) is final.
    /// </summary>
    private static bool IsTorn(Exception ex) => ex switch
    {
        ArgumentOutOfRangeException or IOException => true,
        AmazonClientException => S3Errors.TransportReason(ex) is null && !S3Errors.IsMissingCredentials(ex),
        _ => false,
    };

    public Task<bool> CreateAsync(string text, CancellationToken ct) => PutAsync(text, r => r.IfNoneMatch = "*", ct);

    public Task<bool> ReplaceAsync(string text, string? etag, CancellationToken ct) =>
        PutAsync(text, r => { if (etag is not null) r.IfMatch = etag; }, ct);

    // A server that ignores If-None-Match rewrites the same text here, which changes nothing.
    public async Task<bool> RefusesSecondCreateAsync(string text, CancellationToken ct) =>
        !_unconditional && !await CreateAsync(text, ct).ConfigureAwait(false);

    private async Task<bool> PutAsync(string text, Action<PutObjectRequest> condition, CancellationToken ct)
    {
        PutObjectRequest Request(bool conditional)
        {
            var request = new PutObjectRequest
            {
                BucketName = location.Bucket, Key = location.Key, ContentBody = text, ContentType = "application/json", UseChunkEncoding = false,
            };
            if (conditional)
                condition(request);
            return request;
        }

        try
        {
            await client.PutObjectAsync(Request(!_unconditional), ct).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception ex) when (ConditionalWrites.IsRefused(ex))
        {
            return false;
        }
        catch (AmazonS3Exception ex) when (ConditionalWrites.IsUnsupported(ex))
        {
            _unconditional = true;
            log?.Invoke($"{location}: the server does not support conditional writes ({ex.ErrorCode}); the lock relies on its read-back alone");
            await S3Errors.CallAsync(client, location, "write the backup lock", () => client.PutObjectAsync(Request(false), ct), ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (S3Errors.Map(client, location, ex, "write the backup lock", ct) is { } mapped)
        {
            throw mapped;
        }
    }

    public Task DeleteAsync(CancellationToken ct) =>
        S3Errors.CallAsync(client, location, "remove the backup lock", () => client.DeleteObjectAsync(location.Bucket, location.Key, ct), ct);
}
