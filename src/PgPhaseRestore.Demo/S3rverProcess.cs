using System.Diagnostics;
using System.Text;
using PgPhaseRestore.Engine.Processes;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Demo;

/// <summary>
/// s3rver (a Node S3 server) on a loopback port, storing into a folder, started through the launcher in
/// tests/s3rver/server.js, which adds the multipart operations s3rver lacks. It runs with the scrubbed child
/// environment and dies with this process. It can be stopped and started again on the same port and data.
/// </summary>
internal sealed class S3rverProcess : IDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    public const string LauncherVariable = "PGPHASE_S3RVER";

    private readonly string _node;
    private readonly string _launcher;
    private readonly bool _conditionalWrites;
    private Process? _process;

    /// <param name="node">The node program.</param>
    /// <param name="launcher">The launcher script (<see cref="FindLauncher"/>).</param>
    /// <param name="dataDirectory">Where the buckets are stored.</param>
    /// <param name="conditionalWrites">Honour If-None-Match and If-Match on writes as AWS does (s3rver itself ignores them).</param>
    public S3rverProcess(string node, string launcher, string dataDirectory, bool conditionalWrites = false)
    {
        _node = node;
        _launcher = launcher;
        _conditionalWrites = conditionalWrites;
        DataDirectory = dataDirectory;
        Port = LoopbackPort.Free();
    }

    public int Port { get; }
    public string DataDirectory { get; }
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

    /// <summary>node on PATH, or null.</summary>
    public static string? FindNode() => HelperProgram.Find("node");

    /// <summary>
    /// The launcher: PGPHASE_S3RVER, else tests/s3rver/server.js in a folder above this program or the current
    /// folder, with s3rver installed beside it. Null with the reason when there is none.
    /// </summary>
    public static string? FindLauncher(out string reason)
    {
        if (Environment.GetEnvironmentVariable(LauncherVariable) is { Length: > 0 } configured && File.Exists(configured))
        {
            reason = "";
            return configured;
        }
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var folder = Path.Combine(dir.FullName, "tests", "s3rver");
                if (!File.Exists(Path.Combine(folder, "server.js")))
                    continue;
                if (!File.Exists(Path.Combine(folder, "node_modules", "s3rver", "package.json")))
                {
                    reason = $"s3rver is not installed: run `npm ci --prefix {folder}`";
                    return null;
                }
                reason = "";
                return Path.Combine(folder, "server.js");
            }
        }
        reason = $"tests/s3rver/server.js was not found above {AppContext.BaseDirectory} or the current folder; set {LauncherVariable} to it";
        return null;
    }

    /// <summary>Starts the server and waits until it listens.</summary>
    public void Start()
    {
        // In a session of its own: a terminal's Ctrl+C reaches its whole process group, and a run being cancelled
        // should see its cancellation, not a bucket that vanished mid-transfer. setsid execs in place, so the
        // process stays the one started here, with its parent-death signal.
        var setsid = HelperProgram.Find("setsid");
        var psi = new ProcessStartInfo(setsid ?? _node) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (setsid is not null)
            psi.ArgumentList.Add(_node);
        foreach (var a in new[] { _launcher, DataDirectory, "127.0.0.1", Port.ToString() })
            psi.ArgumentList.Add(a);
        if (_conditionalWrites)
            psi.ArgumentList.Add("conditional");
        ChildEnvironment.Apply(psi);
        Directory.CreateDirectory(DataDirectory);
        var p = ChildLauncher.Start(psi);
        var stderr = new StringBuilder();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        _process = p;

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!LoopbackPort.Accepts(Port))
        {
            if (p.HasExited)
                throw new DemoException($"s3rver exited with {p.ExitCode} before listening on port {Port}: {stderr}");
            if (DateTime.UtcNow > deadline)
            {
                Stop();
                throw new DemoException($"s3rver did not listen on port {Port} within 30 s: {stderr}");
            }
            Thread.Sleep(100);
        }
    }

    /// <summary>Kills the server; its data stays for a later <see cref="Start"/>.</summary>
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

    /// <summary>Stops the server and removes its data.</summary>
    public void Dispose()
    {
        Stop();
        try
        {
            if (Directory.Exists(DataDirectory))
                Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
