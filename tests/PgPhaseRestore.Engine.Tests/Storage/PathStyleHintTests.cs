using System.Net;
using System.Net.Sockets;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Tests.Storage;

/// <summary>
/// A custom endpoint reached with virtual-hosted names (bucket.host) fails to resolve them where only the endpoint's
/// own host is in DNS: the failure says path-style addressing would reach it, and only then. The failures are real
/// ones of this machine's resolver: names under .invalid never resolve (RFC 6761), localhost always does.
/// </summary>
public sealed class PathStyleHintTests
{
    private static Exception Unresolved()
    {
        var socket = Assert.ThrowsAny<SocketException>(() => Dns.GetHostAddresses("my-bucket.pgphase-test.invalid"));
        return new HttpRequestException($"{socket.Message} (my-bucket.pgphase-test.invalid:9000)", socket);
    }

    [Fact]
    public void A_bucket_name_that_does_not_resolve_under_an_endpoint_that_does_asks_for_path_style()
    {
        Assert.Equal("my-bucket.localhost", S3Errors.BucketHostUnknown("http://localhost:9000", false, "my-bucket", Unresolved(), S3Errors.HostResolves));
    }

    [Theory]
    [InlineData("http://s3.pgphase-test.invalid:9000", false)] // the endpoint's host is unknown too: path style would not help
    [InlineData("http://localhost:9000", true)] // path style already
    [InlineData("http://127.0.0.1:9000", false)] // an address has no subdomains
    [InlineData(null, false)] // AWS's own endpoints
    public void Otherwise_no_hint(string? endpoint, bool pathStyle)
    {
        Assert.Null(S3Errors.BucketHostUnknown(endpoint, pathStyle, "my-bucket", Unresolved(), S3Errors.HostResolves));
    }

    [Fact]
    public void A_refused_connection_is_no_name_failure()
    {
        var refused = new HttpRequestException("Connection refused", new SocketException((int)SocketError.ConnectionRefused));
        Assert.Null(S3Errors.BucketHostUnknown("http://localhost:9000", false, "my-bucket", refused, S3Errors.HostResolves));
    }
}
