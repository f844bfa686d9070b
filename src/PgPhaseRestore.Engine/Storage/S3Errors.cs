using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Amazon.Runtime;
using Amazon.S3;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>
/// Turns every failure of an S3 call (service errors, an endpoint that does not answer, missing credentials)
/// into one <see cref="PgPhaseException"/> whose one-line message names the object, the endpoint and
/// what to do. Service errors are told apart by their error code, then by their HTTP status; messages quote
/// neither keys nor secrets.
/// </summary>
internal static class S3Errors
{
    public static PgPhaseException Describe(S3ObjectLocation location, AmazonS3Exception ex, string action = "read the object") =>
        Describe(null, location, ex, action);

    private static PgPhaseException Describe(IAmazonS3? client, S3ObjectLocation location, AmazonServiceException ex, string action, int? attempts = null)
    {
        var problem = ProblemOf(ex);
        var text = ex.ErrorCode switch
        {
            "NoSuchKey" => $"no such object: bucket \"{location.Bucket}\" has no key \"{location.Key}\"",
            "NoSuchBucket" => $"no such bucket \"{location.Bucket}\"",
            "AccessDenied" or "AllAccessDisabled" => $"access denied: the credentials in use may not {action}",
            "SignatureDoesNotMatch" => "access denied: the secret key does not match the access key (SignatureDoesNotMatch)",
            "InvalidAccessKeyId" => "access denied: the access key is not known to this endpoint (InvalidAccessKeyId)",
            _ when problem == PgPhaseErrorCode.ArchiveNotFound => "no such object",
            _ when problem is PgPhaseErrorCode.ArchiveAccessDenied or PgPhaseErrorCode.ArchiveCredentialsRejected => $"access denied ({ex.ErrorCode})",
            _ => $"could not {action}{(client is null ? "" : " at " + Endpoint(client))}: {(int)ex.StatusCode} {ex.ErrorCode}: {OneLine(ex.Message)}{Attempts(client, attempts)}",
        };
        return PgPhaseException.Storage(location.ToString(), text, ex, problem);
    }

    /// <summary>What a service error means for the object: by its error code, then by its HTTP status.</summary>
    private static PgPhaseErrorCode ProblemOf(AmazonServiceException ex) => ex.ErrorCode switch
    {
        "NoSuchKey" or "NoSuchBucket" or "NoSuchUpload" => PgPhaseErrorCode.ArchiveNotFound,
        "AccessDenied" or "AllAccessDisabled" => PgPhaseErrorCode.ArchiveAccessDenied,
        "SignatureDoesNotMatch" or "InvalidAccessKeyId" or "InvalidToken" or "ExpiredToken" => PgPhaseErrorCode.ArchiveCredentialsRejected,
        _ => ex.StatusCode switch
        {
            HttpStatusCode.NotFound => PgPhaseErrorCode.ArchiveNotFound,
            HttpStatusCode.Forbidden => PgPhaseErrorCode.ArchiveAccessDenied,
            HttpStatusCode.Unauthorized => PgPhaseErrorCode.ArchiveCredentialsRejected,
            _ when ConditionalWrites.IsRefused(ex) => PgPhaseErrorCode.ArchiveAlreadyExists,
            _ => PgPhaseErrorCode.ArchiveUnreadable,
        },
    };

    /// <summary>The kind of a service error that reached a host without being described (a call the engine did not wrap).</summary>
    public static PgPhaseErrorKind KindOf(AmazonServiceException ex) =>
        IsTransient(ex) ? PgPhaseErrorKind.Busy : PgPhaseErrors.KindOf(ProblemOf(ex));

    /// <summary>No such key or bucket: by error code or, from servers that send no body (HEAD), by status.</summary>
    public static bool IsNotFound(AmazonServiceException ex) => ProblemOf(ex) == PgPhaseErrorCode.ArchiveNotFound;

    /// <summary>The SDK's verdict on a read whose bytes do not match the checksum the object was stored with (its message is its only mark).</summary>
    internal static bool IsChecksumMismatch(Exception ex) =>
        ex is AmazonClientException && ex.Message.StartsWith("Expected hash not equal to calculated hash", StringComparison.Ordinal);

    /// <summary>
    /// A failure worth retrying: the server was busy or failed, or the transfer broke. A broken transfer reaches here
    /// in many shapes (an IOException, an HttpRequestException, a bare SocketException such as "Transport endpoint is
    /// not connected" from a reset socket, or any of them inside the SDK's own exceptions), so the whole chain of
    /// causes is searched. The engine's own errors are verdicts, never retried.
    /// </summary>
    public static bool IsTransient(Exception ex)
    {
        if (ex is AmazonServiceException { StatusCode: not 0 } s)
            return s.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.InternalServerError
                       or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout or HttpStatusCode.RequestTimeout
                       or HttpStatusCode.TooManyRequests
                   || IsBusyCode(s.ErrorCode)
                   || s.InnerException is IOException or HttpRequestException or SocketException;
        bool broken = false;
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                // A verdict of the engine's, a certificate or TLS refusal, a name that does not resolve: asking again
                // gives the same answer, only later.
                case PgPhaseException or AuthenticationException:
                case HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError or HttpRequestError.NameResolutionError }:
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData }:
                    return false;
                case IOException or HttpRequestException or SocketException or TimeoutException or TaskCanceledException:
                    broken = true;
                    break;
            }
        }
        return broken || ex is AmazonServiceException service && IsBusyCode(service.ErrorCode);
    }

    /// <summary>Error codes that say the server was busy or failed, or the body arrived damaged: asking again may succeed.</summary>
    private static bool IsBusyCode(string? code) => code is "SlowDown" or "RequestTimeout" or "InternalError" or "BadDigest";

    /// <summary>
    /// The failure of a call made to <paramref name="action"/> at <paramref name="location"/>, described; null when it is
    /// the caller's own cancellation or not a failure of storage (those propagate unchanged). <paramref name="attempts"/>
    /// is how many times the caller itself tried, when it retries on its own (else the client's retries are said).
    /// </summary>
    public static PgPhaseException? Map(IAmazonS3 client, S3ObjectLocation location, Exception ex, string action, CancellationToken ct, int? attempts = null)
    {
        if (ex is OperationCanceledException && ct.IsCancellationRequested)
            return null;
        if (ex is PgPhaseException)
            return null;
        var uri = location.ToString();
        if (IsMissingCredentials(ex))
            return PgPhaseException.Storage(uri,
                $"no S3 credentials to {action} at {Endpoint(client)}: the AWS default chain found none (environment variables, web identity, " +
                "the shared credentials and config files, container and instance metadata); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, " +
                "or name a profile (AWS_PROFILE)", ex, PgPhaseErrorCode.ArchiveNoCredentials);
        if (TransportReason(ex) is { } reason)
            return BucketHostUnknown(client.Config.ServiceURL, client.Config is AmazonS3Config { ForcePathStyle: true }, location.Bucket, ex, HostResolves) is { } bucketHost
                ? PgPhaseException.Storage(uri,
                    $"could not {action}: the host name \"{bucketHost}\" is not known here ({reason}), though the endpoint's own host is: " +
                    "this server is reached with path-style addressing, the bucket in the path rather than in the host name", ex, PgPhaseErrorCode.ArchiveBucketHostUnknown)
                : PgPhaseException.Storage(uri,
                    $"could not {action}: the S3 endpoint {Endpoint(client)} did not answer ({reason}){Attempts(client, attempts)}", ex, PgPhaseErrorCode.ArchiveUnreachable);
        if (ex is AmazonServiceException service)
            return Describe(client, location, service, action, attempts);
        // The SDK compares the checksum stored with an object as the last byte of a whole read arrives: the stored bytes changed.
        if (IsChecksumMismatch(ex))
            return PgPhaseException.Storage(uri, $"could not {action}: its bytes do not match the checksum stored with it; the object in the bucket is damaged", ex,
                PgPhaseErrorCode.DamagedArchive);
        if (ex is AmazonClientException)
            return PgPhaseException.Storage(uri, $"could not {action} at {Endpoint(client)}: {OneLine(ex.Message)}", ex);
        return null;
    }

    /// <summary>Runs one S3 call, mapping its failure (<see cref="Map"/>).</summary>
    public static async Task<T> CallAsync<T>(IAmazonS3 client, S3ObjectLocation location, string action, Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (Map(client, location, ex, action, ct) is { } mapped)
        {
            throw mapped;
        }
    }

    public static Task CallAsync(IAmazonS3 client, S3ObjectLocation location, string action, Func<Task> call, CancellationToken ct) =>
        CallAsync(client, location, action, async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }, ct);

    /// <summary>The endpoint a client talks to: its service URL, or AWS S3 in its region.</summary>
    public static string Endpoint(IAmazonS3 client)
    {
        var config = client.Config;
        if (!string.IsNullOrEmpty(config.ServiceURL))
            return config.ServiceURL.TrimEnd('/');
        var region = config.RegionEndpoint?.SystemName;
        return region is null ? "AWS S3" : $"https://s3.{region}.amazonaws.com";
    }

    /// <summary>
    /// The virtual-hosted name (bucket.host) of a request to a custom endpoint that failed because that name does not
    /// resolve while the endpoint's own host does: path-style addressing would reach the server. Null otherwise (path
    /// style already, AWS's own endpoints, another failure, or an endpoint host that is unknown too).
    /// </summary>
    internal static string? BucketHostUnknown(string? serviceUrl, bool forcePathStyle, string bucket, Exception ex, Func<string, bool> resolves)
    {
        if (forcePathStyle || string.IsNullOrEmpty(serviceUrl) || !Uri.TryCreate(serviceUrl, UriKind.Absolute, out var endpoint)
            || endpoint.HostNameType != UriHostNameType.Dns)
            return null;
        bool unresolved = false;
        for (var e = ex; e is not null; e = e.InnerException)
            unresolved |= e is SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain };
        return unresolved && resolves(endpoint.IdnHost) ? $"{bucket}.{endpoint.IdnHost}" : null;
    }

    internal static bool HostResolves(string host)
    {
        try
        {
            return Dns.GetHostAddresses(host).Length > 0;
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Why no response came back (connection refused, name not resolved, TLS, timeout), or null when one did.</summary>
    internal static string? TransportReason(Exception ex)
    {
        if (ex is AmazonServiceException { StatusCode: not 0 } && ex.InnerException is not (HttpRequestException or IOException or SocketException))
            return null;
        string? found = null;
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SocketException s:
                    return OneLine(s.Message);
                case AuthenticationException a:
                    return "TLS: " + OneLine(a.Message);
                case TimeoutException or TaskCanceledException:
                    found ??= "the request timed out";
                    break;
                case HttpRequestException or IOException:
                    found = OneLine(e.Message);
                    break;
            }
        }
        return found;
    }

    internal static bool IsMissingCredentials(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is DefaultChainCredentials.NotFoundException)
                return true;
        return false;
    }

    private static string Attempts(IAmazonS3? client, int? made)
    {
        if (client is null && made is null)
            return "";
        int attempts = made ?? client!.Config.MaxErrorRetry + 1;
        return attempts > 1 ? $"; gave up after {attempts} attempts" : "";
    }

    private static string OneLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length > 300 ? line[..300] + "..." : line;
    }
}
