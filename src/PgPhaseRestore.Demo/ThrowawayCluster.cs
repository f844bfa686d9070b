using System.Security.Cryptography;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Processes;

namespace PgPhaseRestore.Demo;

/// <summary>How to start a <see cref="ThrowawayCluster"/>.</summary>
internal sealed class ThrowawayClusterOptions
{
    /// <summary>Folder of initdb, pg_ctl and postgres (default: <see cref="ServerBinaries.LocateAsync"/>).</summary>
    public string? BinDir { get; init; }

    /// <summary>Unprivileged OS user that runs the server when this process is root (default: postgres).</summary>
    public string? OsUser { get; init; }

    /// <summary>The superuser's password (default: a random one).</summary>
    public string? Password { get; init; }

    /// <summary>Start of the temp folder's name, which holds the data directory, the socket and the server log.</summary>
    public string TempPrefix { get; init; } = "pgphase-pg-";

    /// <summary>More directories for the server's Unix socket besides its own folder (e.g. /tmp, one of libpq's defaults).</summary>
    public IReadOnlyList<string> ExtraSocketDirectories { get; init; } = [];

    /// <summary>Called after initdb, before the server starts: may write configuration files; returns more server options.</summary>
    public Func<ThrowawayCluster, IReadOnlyList<string>>? BeforeStart { get; init; }
}

/// <summary>
/// A throwaway PostgreSQL cluster: initdb into a temp folder, a free loopback port, scram password authentication
/// over TCP, durability off. When this process is root the server runs as an unprivileged OS user (through runuser),
/// because PostgreSQL refuses to run as root. Stopped and removed on dispose and at process exit.
/// </summary>
internal sealed class ThrowawayCluster : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly string _password;
    private string? _pgCtl;
    private int _disposed;

    private readonly ThrowawayClusterOptions _options;

    private ThrowawayCluster(string binDir, string? osUser, string password, string root, ThrowawayClusterOptions options)
    {
        _options = options;
        BinDir = binDir;
        OsUser = osUser;
        _password = password;
        Root = root;
        Port = LoopbackPort.Free();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();
    }

    public const string Host = "127.0.0.1";
    public const string User = "postgres";

    /// <summary>Where initdb, pg_ctl and postgres are (a copy inside <see cref="Root"/> when the OS user cannot reach the original).</summary>
    public string BinDir { get; private set; }

    /// <summary>The unprivileged OS user the server runs as when this process is root (null otherwise).</summary>
    public string? OsUser { get; }

    public int Port { get; }

    /// <summary>The temp folder that holds everything of the cluster.</summary>
    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "data");
    public string LogFile => Path.Combine(Root, "server.log");

    /// <summary>A connection to one of its databases as the superuser; the password stays inside the connection.</summary>
    public PgConnectionInfo Connection(string database) =>
        PgConnectionInfo.Parse($"host={Host} port={Port} dbname={database}", _ => null).WithCredentials(User, _password);

    public static async Task<ThrowawayCluster> StartAsync(ThrowawayClusterOptions? options, CancellationToken ct)
    {
        options ??= new ThrowawayClusterOptions();
        var binDir = options.BinDir ?? await ServerBinaries.LocateAsync(ct).ConfigureAwait(false);
        var osUser = IsRoot() ? ServerOsUser(options.OsUser) : null;
        var password = options.Password ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
        var cluster = new ThrowawayCluster(binDir, osUser, password, Directory.CreateTempSubdirectory(options.TempPrefix).FullName, options);
        try
        {
            await cluster.InitAndStartAsync(ct).ConfigureAwait(false);
            return cluster;
        }
        catch (Exception ex)
        {
            var log = File.Exists(cluster.LogFile) ? File.ReadAllText(cluster.LogFile) : "";
            cluster.Dispose();
            if (ex is OperationCanceledException)
                throw;
            throw new DemoException($"the throwaway PostgreSQL cluster did not start: {ex.Message}\n{log}".TrimEnd(), ex);
        }
    }

    private async Task InitAndStartAsync(CancellationToken ct)
    {
        if (OsUser is not null && !await RunsAsAsync(OsUser, BinDir, ct).ConfigureAwait(false))
            BinDir = await CopyInstallationAsync(BinDir, Path.Combine(Root, "server"), ct).ConfigureAwait(false);
        _pgCtl = Path.Combine(BinDir, "pg_ctl");
        // initdb takes the password from a file: never on its command line.
        var pwFile = Path.Combine(Root, "pwfile");
        await File.WriteAllTextAsync(pwFile, _password + "\n", ct).ConfigureAwait(false);
        if (OsUser is not null)
            await HelperProgram.RunCheckedAsync(HelperProgram.Require("chown"), ["-R", OsUser, Root], TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);

        await AsServerAsync(Path.Combine(BinDir, "initdb"),
            ["-D", DataDirectory, "-U", User, "--pwfile", pwFile, "--auth-local=trust", "--auth-host=scram-sha-256",
             "--encoding=UTF8", "--locale=C", "--no-sync"], TimeSpan.FromMinutes(3), ct).ConfigureAwait(false);
        File.Delete(pwFile);

        var extra = _options.BeforeStart?.Invoke(this) ?? [];
        // A throwaway cluster needs no durability; temp-file logging shows which restore spilled sorts to disk.
        var sockets = string.Join(',', new[] { Root }.Concat(_options.ExtraSocketDirectories));
        var settings = string.Join(' ', new[]
        {
            $"-c listen_addresses={Host}", $"-p {Port}", $"-c unix_socket_directories='{sockets}'",
            "-c fsync=off", "-c full_page_writes=off", "-c synchronous_commit=off",
            "-c max_connections=60", "-c log_min_messages=warning", "-c log_temp_files=0", "-c log_line_prefix='%m [%p] %d %u '",
        }.Concat(extra));
        await AsServerAsync(_pgCtl, ["-D", DataDirectory, "-l", LogFile, "-o", settings, "-w", "-t", "90", "start"], StartTimeout, ct).ConfigureAwait(false);
    }

    private Task<string> AsServerAsync(string program, IEnumerable<string> args, TimeSpan timeout, CancellationToken ct) =>
        AsServerAsync(OsUser, program, args, timeout, ct);

    private static Task<string> AsServerAsync(string? osUser, string program, IEnumerable<string> args, TimeSpan timeout, CancellationToken ct) =>
        osUser is null
            ? HelperProgram.RunCheckedAsync(program, args.ToList(), timeout, ct)
            : HelperProgram.RunCheckedAsync(HelperProgram.Require("runuser"), ["-u", osUser, "--", program, .. args], timeout, ct);

    /// <summary>Whether the OS user can run the server where it is installed (it loads its libraries to print its version).</summary>
    private static async Task<bool> RunsAsAsync(string osUser, string binDir, CancellationToken ct) =>
        (await HelperProgram.RunAsync(HelperProgram.Require("runuser"), ["-u", osUser, "--", Path.Combine(binDir, "postgres"), "--version"],
            TimeSpan.FromSeconds(30), ct).ConfigureAwait(false)).ExitCode == 0;

    /// <summary>
    /// A copy of a self-contained installation (bin, lib and share side by side, as in the pinned packages) inside
    /// the cluster's folder, which the server's OS user owns: a checkout under /root is out of that user's reach.
    /// </summary>
    private async Task<string> CopyInstallationAsync(string binDir, string destination, CancellationToken ct)
    {
        var installation = Path.GetDirectoryName(Path.GetFullPath(binDir).TrimEnd('/'))!;
        if (!Directory.Exists(Path.Combine(installation, "lib")) || !Directory.Exists(Path.Combine(installation, "share")))
            throw new DemoException(
                $"the OS user {OsUser} cannot run {Path.Combine(binDir, "postgres")}: make the folders above it readable and searchable by that user");
        // cp keeps the library symlinks the packages' install script created.
        await HelperProgram.RunCheckedAsync(HelperProgram.Require("cp"), ["-a", installation, destination], TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
        return Path.Combine(destination, Path.GetFileName(Path.GetFullPath(binDir).TrimEnd('/')));
    }

    private static bool IsRoot()
    {
        if (Environment.UserName == "root")
            return true;
        try
        {
            return File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:") && l.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries)[1] == "0");
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string ServerOsUser(string? chosen)
    {
        if (!string.IsNullOrWhiteSpace(chosen))
            return chosen;
        var users = File.Exists("/etc/passwd") ? File.ReadAllLines("/etc/passwd").Select(l => l.Split(':')[0]).ToHashSet() : [];
        if (users.Contains("postgres"))
            return "postgres";
        throw new DemoException(
            "this runs as root, and PostgreSQL refuses to: install the postgresql package (it creates the \"postgres\" OS user) or run as an unprivileged user");
    }

    /// <summary>Stops the server at once (nothing in it is kept) and removes its folder.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        StopAndRemove(Root, _pgCtl, OsUser);
    }

    /// <summary>
    /// Stops and removes the clusters under folders named <paramref name="prefix"/>&lt;pid&gt;-... whose process is gone:
    /// a process killed outright (SIGKILL) cannot stop its own cluster, so the next run does.
    /// </summary>
    /// <returns>The folders removed.</returns>
    public static async Task<IReadOnlyList<string>> RemoveOrphansAsync(string prefix, ThrowawayClusterOptions? options, CancellationToken ct)
    {
        var orphans = Directory.EnumerateDirectories(Path.GetTempPath(), prefix + "*")
            .Where(d => int.TryParse(Path.GetFileName(d)[prefix.Length..].Split('-')[0], out int pid) && !ProcessScopedTemp.IsRunning(pid))
            .ToList();
        if (orphans.Count == 0)
            return [];
        var binDir = options?.BinDir ?? await ServerBinaries.LocateAsync(ct).ConfigureAwait(false);
        var osUser = IsRoot() ? ServerOsUser(options?.OsUser) : null;
        foreach (var root in orphans)
            StopAndRemove(root, Path.Combine(binDir, "pg_ctl"), osUser);
        return orphans;
    }

    private static void StopAndRemove(string root, string? pgCtl, string? osUser)
    {
        var data = Path.Combine(root, "data");
        try
        {
            if (pgCtl is not null && File.Exists(Path.Combine(data, "postmaster.pid")))
                AsServerAsync(osUser, pgCtl, ["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"], TimeSpan.FromSeconds(60), CancellationToken.None)
                    .GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // Removing the folder below still frees the disk; the server stops when it finds its lock file gone.
        }
        try
        {
            if (Directory.Exists(root))
                Directory.Delete(root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
