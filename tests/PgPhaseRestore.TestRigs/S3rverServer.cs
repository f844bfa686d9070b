using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.TestRigs;

/// <summary>
/// s3rver (a Node S3 server, pinned in tests/s3rver/package-lock.json) on a free loopback port, storing
/// into a temp directory. Can be stopped and started again on the same port and data, to test resumption.
/// Like many S3-compatible servers it ignores If-None-Match and If-Match on writes, unless started with
/// <c>conditionalWrites</c>, which makes it refuse them as AWS does.
/// </summary>
public sealed class S3rverServer : IDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    /// <summary>A second key pair the launcher registers, whose secret differs from its id (to search output for the secret).</summary>
    public const string DistinctAccessKey = "PGPHASE-TEST";
    public const string DistinctSecretKey = "pgphase-test-secret-0f9e8d7c";

    private readonly string _script;
    private readonly string _node;
    private readonly string _dataDir;
    private readonly bool _conditionalWrites;
    private Process? _process;
    private int _disposed;

    public S3rverServer(bool conditionalWrites = false)
    {
        _conditionalWrites = conditionalWrites;
        _node = ChildProcess.OnPath("node") ?? throw new InvalidOperationException("node was not found: install Node.js (apt-get install nodejs npm)");
        _script = LocateScript();
        _dataDir = Directory.CreateTempSubdirectory("pgphase-s3-").FullName;
        Port = FreePort.Next();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
        Start();
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";

    public S3Settings Settings(string? secret = null, string? accessKey = null) => new()
    {
        EndpointUrl = Endpoint,
        Region = "us-east-1",
        ForcePathStyle = true,
        AccessKeyId = accessKey ?? AccessKey,
        SecretAccessKey = secret ?? SecretKey,
        MaxRetries = 2,
    };

    public IAmazonS3 Client(string? secret = null) => S3ClientFactory.Create(Settings(secret));

    public string CreateBucket(string prefix = "bucket")
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)].ToLowerInvariant();
        using var client = Client();
        client.PutBucketAsync(new PutBucketRequest { BucketName = name }).GetAwaiter().GetResult();
        return name;
    }

    public void Start()
    {
        var psi = new ProcessStartInfo(_node)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { _script, _dataDir, "127.0.0.1", Port.ToString() })
            psi.ArgumentList.Add(a);
        if (_conditionalWrites)
            psi.ArgumentList.Add("conditional");
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start s3rver");
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        _process = p;

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!FreePort.Accepts(Port))
        {
            if (p.HasExited)
                throw new InvalidOperationException($"s3rver exited with {p.ExitCode} before listening on port {Port}: {stderr}");
            if (DateTime.UtcNow > deadline)
            {
                p.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"s3rver did not listen on port {Port} within 30 s: {stderr}");
            }
            Thread.Sleep(100);
        }
    }

    public void Stop()
    {
        var p = _process;
        _process = null;
        if (p is null)
            return;
        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        p.Dispose();
    }

    /// <summary>tests/s3rver/server.js, which starts s3rver with the two multipart operations it lacks.</summary>
    private static string LocateScript()
    {
        var configured = Environment.GetEnvironmentVariable("PGPHASE_S3RVER");
        if (!string.IsNullOrWhiteSpace(configured) && File.Exists(configured))
            return configured;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var folder = Path.Combine(dir.FullName, "tests", "s3rver");
            if (!File.Exists(Path.Combine(folder, "server.js")))
                continue;
            if (!File.Exists(Path.Combine(folder, "node_modules", "s3rver", "package.json")))
                throw new InvalidOperationException($"s3rver is not installed: run `npm ci --prefix {folder}`");
            return Path.Combine(folder, "server.js");
        }
        throw new InvalidOperationException("tests/s3rver/server.js was not found above the test binaries; set PGPHASE_S3RVER to it");
    }

    /// <summary>Multipart uploads begun and neither completed nor aborted, as s3rver stores them.</summary>
    public IReadOnlyList<string> PendingUploads(string bucket)
    {
        var root = Path.Combine(_dataDir, bucket, "._S3rver_uploads");
        return Directory.Exists(root) ? Directory.GetDirectories(root).Select(Path.GetFileName).ToList()! : [];
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        Stop();
        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
