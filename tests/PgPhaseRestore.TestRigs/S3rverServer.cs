using Amazon.S3;
using Amazon.S3.Model;
using PgPhaseRestore.Demo;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.TestRigs;

/// <summary>
/// s3rver (a Node S3 server, pinned in tests/s3rver/package-lock.json) on a free loopback port, storing
/// into a temp directory: the engine's <see cref="S3rverProcess"/>. Can be stopped and started again on the same
/// port and data, to test resumption. Like many S3-compatible servers it ignores If-None-Match and If-Match on
/// writes, unless started with <c>conditionalWrites</c>, which makes it refuse them as AWS does.
/// </summary>
public sealed class S3rverServer : IDisposable
{
    public const string AccessKey = S3rverProcess.AccessKey;
    public const string SecretKey = S3rverProcess.SecretKey;

    /// <summary>A second key pair the launcher registers, whose secret differs from its id (to search output for the secret).</summary>
    public const string DistinctAccessKey = "PGPHASE-TEST";
    public const string DistinctSecretKey = "pgphase-test-secret-0f9e8d7c";

    private readonly S3rverProcess _server;
    private int _disposed;

    public S3rverServer(bool conditionalWrites = false)
    {
        var node = S3rverProcess.FindNode() ?? throw new InvalidOperationException("node was not found: install Node.js (apt-get install nodejs npm)");
        var script = S3rverProcess.FindLauncher(out var why) ?? throw new InvalidOperationException(why);
        _server = new S3rverProcess(node, script, Directory.CreateTempSubdirectory("pgphase-s3-").FullName, conditionalWrites);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
        Start();
    }

    public int Port => _server.Port;

    /// <summary>Where s3rver keeps the buckets: an object's bytes are in &lt;bucket&gt;/&lt;key&gt;._S3rver_object, to damage as a disk would.</summary>
    public string DataDirectory => _server.DataDirectory;
    public string Endpoint => _server.Endpoint;

    public S3Settings Settings(string? secret = null, string? accessKey = null) => _server.Settings(secret, accessKey);

    public IAmazonS3 Client(string? secret = null) => S3ClientFactory.Create(Settings(secret));

    public string CreateBucket(string prefix = "bucket")
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)].ToLowerInvariant();
        using var client = Client();
        client.PutBucketAsync(new PutBucketRequest { BucketName = name }).GetAwaiter().GetResult();
        return name;
    }

    public void Start() => _server.Start();

    public void Stop() => _server.Stop();

    /// <summary>Multipart uploads begun and neither completed nor aborted, as s3rver stores them.</summary>
    public IReadOnlyList<string> PendingUploads(string bucket)
    {
        var root = Path.Combine(_server.DataDirectory, bucket, "._S3rver_uploads");
        return Directory.Exists(root) ? Directory.GetDirectories(root).Select(d => Path.GetFileName(d)).ToList() : [];
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        _server.Dispose();
    }
}
