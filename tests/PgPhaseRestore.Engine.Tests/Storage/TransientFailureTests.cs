using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Tests.Storage;

/// <summary>
/// A broken transfer is retried in whatever shape the HTTP stack reports it: a socket reset mid-body surfaced once as
/// a bare "Transport endpoint is not connected" SocketException, and a read that was not retried failed a restore
/// that a second request would have finished. Answers from the server and the engine's own verdicts are judged by
/// what they say.
/// </summary>
public sealed class TransientFailureTests
{
    public static TheoryData<string, Exception> Broken() => new()
    {
        { "a bare socket error", new SocketException((int)SocketError.NotConnected) },
        { "a reset inside an IOException", new IOException("Unable to read data", new SocketException((int)SocketError.ConnectionReset)) },
        { "a refused connection inside HttpRequestException", new HttpRequestException("Connection refused", new SocketException((int)SocketError.ConnectionRefused)) },
        { "a socket error inside the SDK's client exception", new AmazonClientException("read failed", new SocketException((int)SocketError.NotConnected)) },
        { "a socket error two levels down", new AmazonClientException("read failed", new AggregateException(new SocketException((int)SocketError.NotConnected))) },
        { "a service exception with no response", new AmazonS3Exception("no response", new IOException("The response ended prematurely")) },
        { "a timeout", new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout") },
        { "a busy server", new AmazonS3Exception("Please reduce your request rate", ErrorType.Receiver, "SlowDown", "r", HttpStatusCode.ServiceUnavailable) },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_transfer_is_retried(string shape, Exception ex) => Assert.True(S3Errors.IsTransient(ex), shape);

    public static TheoryData<string, Exception> Final() => new()
    {
        { "no such key", new AmazonS3Exception("The specified key does not exist.", ErrorType.Sender, "NoSuchKey", "r", HttpStatusCode.NotFound) },
        { "access denied", new AmazonS3Exception("Access Denied", ErrorType.Sender, "AccessDenied", "r", HttpStatusCode.Forbidden) },
        { "a replaced object", new AmazonS3Exception("At least one of the pre-conditions you specified did not hold", ErrorType.Sender, "PreconditionFailed", "r", HttpStatusCode.PreconditionFailed) },
        { "the engine's own verdict over a socket error", PgPhaseException.Storage("s3://b/k", "the object is shorter than expected", new SocketException((int)SocketError.NotConnected)) },
        { "an unrelated bug", new NullReferenceException() },
        { "a certificate refused", new HttpRequestException("The SSL connection could not be established", new System.Security.Authentication.AuthenticationException("The remote certificate is invalid")) },
        { "a TLS failure the SDK wraps", new AmazonClientException("request failed", new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established")) },
        { "a name that does not resolve", new HttpRequestException(HttpRequestError.NameResolutionError, "Name or service not known (bucket.example.invalid:443)", Unresolved()) },
        { "a bare unresolved name", Unresolved() },
    };

    /// <summary>This machine's resolver's own answer for a name that never resolves (RFC 6761).</summary>
    private static SocketException Unresolved()
    {
        try
        {
            Dns.GetHostAddresses("my-bucket.pgphase-test.invalid");
        }
        catch (SocketException ex)
        {
            return ex;
        }
        throw new InvalidOperationException("a name under .invalid resolved");
    }

    [Theory]
    [MemberData(nameof(Final))]
    public void An_answer_or_a_verdict_is_not(string shape, Exception ex) => Assert.False(S3Errors.IsTransient(ex), shape);
}
