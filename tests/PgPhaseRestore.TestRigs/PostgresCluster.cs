using System.Security.Cryptography;
using Npgsql;

namespace PgPhaseRestore.TestRigs;

/// <summary>
/// A throwaway PostgreSQL cluster for one test run: initdb into a temp directory, a free loopback port,
/// password authentication over TCP. Runs the server as an unprivileged OS user when the test run is root,
/// because PostgreSQL refuses to run as root. Stopped and removed on dispose and at process exit.
///
/// Set PGPHASE_TEST_CONNECTION to a superuser connection string to use an existing server instead;
/// PGPHASE_PG_BINDIR to choose the server binaries; PGPHASE_TEST_OS_USER to choose the OS user under root.
/// <see cref="FromBinDir"/> starts a given installation, such as a pinned newer server (<see cref="PinnedPgServers"/>).
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    public const string ConnectionVariable = "PGPHASE_TEST_CONNECTION";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly string? _root;
    private readonly string? _dataDir;
    private string? _pgCtl;
    private readonly string? _osUser;
    private int _disposed;

    public PostgresCluster() : this(binDir: null, options: null)
    {
    }

    /// <summary>
    /// A throwaway cluster set up for connection tests (more socket directories, ssl, pg_hba and pg_ident lines,
    /// settings), always started here even when PGPHASE_TEST_CONNECTION names an existing server.
    /// </summary>
    public static PostgresCluster Start(PostgresClusterOptions options) => new(null, options);

    /// <summary>
    /// A throwaway cluster of the installation whose initdb, pg_ctl and postgres are in <paramref name="binDir"/>,
    /// even when PGPHASE_TEST_CONNECTION names an existing server: the caller wants that server version.
    /// </summary>
    public static PostgresCluster FromBinDir(string binDir) => new(binDir, null);

    private PostgresCluster(string? binDir, PostgresClusterOptions? options)
    {
        var existing = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (binDir is null && options is null && !string.IsNullOrWhiteSpace(existing))
        {
            var b = new NpgsqlConnectionStringBuilder(existing);
            Host = b.Host ?? "127.0.0.1";
            Port = b.Port;
            User = b.Username ?? "postgres";
            Password = b.Password ?? "";
            IsThrowaway = false;
            return;
        }

        BinDir = binDir ?? PgServerBinaries.Locate();
        _osUser = Environment.UserName == "root" || IsRoot() ? ServerOsUser() : null;

        _root = Directory.CreateTempSubdirectory("pgphase-pg-").FullName;
        _dataDir = Path.Combine(_root, "data");
        Host = "127.0.0.1";
        Port = FreePort.Next();
        User = "postgres";
        Password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
        IsThrowaway = true;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();

        try
        {
            if (_osUser is not null && !RunsAs(_osUser, BinDir))
                BinDir = CopyInstallation(BinDir, Path.Combine(_root, "server"));
            _pgCtl = Path.Combine(BinDir, "pg_ctl");
            var pwFile = Path.Combine(_root, "pwfile");
            File.WriteAllText(pwFile, Password + "\n");
            if (_osUser is not null)
                ChildProcess.RunChecked("chown", ["-R", _osUser, _root], TimeSpan.FromSeconds(30));

            AsServer(Path.Combine(BinDir, "initdb"),
                ["-D", _dataDir, "-U", User, "--pwfile", pwFile, "--auth-local=trust", "--auth-host=scram-sha-256",
                 "--encoding=UTF8", "--locale=C", "--no-sync"], TimeSpan.FromMinutes(3));
            File.Delete(pwFile);
            var extra = options is null ? [] : Configure(options);

            LogFile = Path.Combine(_root, "server.log");
            var socketDirs = string.Join(',', new[] { _root }.Concat(options?.ExtraSocketDirectories ?? []));
            var serverOptions = string.Join(' ',
                new[] { "-c listen_addresses=127.0.0.1", $"-p {Port}", $"-c unix_socket_directories='{socketDirs}'",
                "-c fsync=off", "-c full_page_writes=off", "-c synchronous_commit=off",
                "-c max_connections=60", "-c log_min_messages=warning", "-c log_temp_files=0", "-c log_line_prefix='%m [%p] %d %u '" }.Concat(extra));
            AsServer(_pgCtl, ["-D", _dataDir, "-l", LogFile, "-o", serverOptions, "-w", "-t", "90", "start"], StartTimeout);
        }
        catch (Exception ex)
        {
            var log = LogFile is not null && File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";
            Dispose();
            throw new InvalidOperationException($"the throwaway PostgreSQL cluster did not start: {ex.Message}\n{log}", ex);
        }
    }

    public bool IsThrowaway { get; }

    /// <summary>The cluster's own socket directory (its temp folder); null for an existing server.</summary>
    public string? SocketDirectory => _root;

    /// <summary>
    /// Writes what the options ask for into the data directory (pg_hba.conf and pg_ident.conf replaced, the ssl
    /// files copied beside it, owned by the server's OS user) and returns the matching server options.
    /// </summary>
    private List<string> Configure(PostgresClusterOptions options)
    {
        var settings = options.Settings.Select(kv => $"-c {kv.Key}={kv.Value}").ToList();
        var hba = options.HbaLines.Concat([
            $"local all all {options.LocalAuth}",
            "host all all 127.0.0.1/32 scram-sha-256",
            "host all all ::1/128 scram-sha-256",
        ]);
        var written = new List<string> { Path.Combine(_dataDir!, "pg_hba.conf"), Path.Combine(_dataDir!, "pg_ident.conf") };
        File.WriteAllLines(written[0], hba);
        File.WriteAllLines(written[1], options.IdentLines);
        if (options.Ssl is { } ssl)
        {
            var dir = Path.Combine(_root!, "ssl");
            Directory.CreateDirectory(dir);
            string Copy(string file, string name)
            {
                var target = Path.Combine(dir, name);
                File.Copy(file, target, overwrite: true);
                written.Add(target);
                return target;
            }
            settings.Add("-c ssl=on");
            settings.Add($"-c ssl_cert_file={Copy(ssl.CertificateFile, "server.crt")}");
            var key = Copy(ssl.KeyFile, "server.key");
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite); // the server refuses a key others may read
            settings.Add($"-c ssl_key_file={key}");
            if (ssl.ClientCaFile is { } ca)
                settings.Add($"-c ssl_ca_file={Copy(ca, "client-ca.crt")}");
            written.Add(dir);
        }
        if (_osUser is not null)
            ChildProcess.RunChecked("chown", new[] { _osUser }.Concat(written), TimeSpan.FromSeconds(30));
        return settings;
    }

    /// <summary>The unprivileged OS user the server runs as when the tests run as root (null otherwise).</summary>
    public string? OsUser => _osUser;
    public string? BinDir { get; private set; }
    public string Host { get; }
    public int Port { get; }
    public string User { get; }
    public string Password { get; }
    public string? LogFile { get; private set; }

    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = Host, Port = Port, Username = User, Password = Password, Database = database,
            Pooling = false, Timeout = 30, CommandTimeout = 600,
        }.ConnectionString;

    /// <summary>A libpq URI without the password (the password goes through the environment or a password file).</summary>
    public string Uri(string database, string? user = null) => $"postgresql://{user ?? User}@{Host}:{Port}/{database}";

    /// <summary>Environment for client tools run by tests: where the server is, and the password out of the argument list.</summary>
    public Dictionary<string, string?> ClientEnvironment(string? password = null) => new()
    {
        ["PGHOST"] = Host, ["PGPORT"] = Port.ToString(), ["PGUSER"] = User,
        ["PGPASSWORD"] = password ?? Password, ["PGCONNECT_TIMEOUT"] = "30",
    };

    public NpgsqlConnection Open(string database = "postgres")
    {
        var c = new NpgsqlConnection(ConnectionString(database));
        c.Open();
        return c;
    }

    public void Execute(string database, string sql)
    {
        using var c = Open(database);
        using var cmd = new NpgsqlCommand(sql, c) { CommandTimeout = 600 };
        cmd.ExecuteNonQuery();
    }

    public T? Scalar<T>(string database, string sql)
    {
        using var c = Open(database);
        using var cmd = new NpgsqlCommand(sql, c);
        var v = cmd.ExecuteScalar();
        return v is null or DBNull ? default : (T)Convert.ChangeType(v, typeof(T));
    }

    /// <summary>Creates a database with a unique name (dropped first if a previous run left it).</summary>
    public string CreateDatabase(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 63)];
        Execute("postgres", $"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'");
        return name;
    }

    public void DropDatabase(string name) => Execute("postgres", $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");

    /// <summary>Path of a client program (pg_dump, pg_restore, psql) of the same installation as the server.</summary>
    public string ClientTool(string name)
    {
        if (BinDir is not null && File.Exists(Path.Combine(BinDir, name)))
            return Path.Combine(BinDir, name);
        return ChildProcess.OnPath(name) ?? throw new InvalidOperationException($"{name} not found: install the PostgreSQL client (apt-get install postgresql-client)");
    }

    private void AsServer(string program, IEnumerable<string> args, TimeSpan timeout)
    {
        if (_osUser is null)
            ChildProcess.RunChecked(program, args, timeout);
        else
            ChildProcess.RunChecked("runuser", new[] { "-u", _osUser, "--", program }.Concat(args), timeout);
    }

    /// <summary>Whether the OS user can run the server where it is installed (it loads its libraries to print its version).</summary>
    private static bool RunsAs(string osUser, string binDir) =>
        ChildProcess.Run("runuser", ["-u", osUser, "--", Path.Combine(binDir, "postgres"), "--version"], TimeSpan.FromSeconds(30)).ExitCode == 0;

    /// <summary>
    /// A copy of a self-contained installation (bin, lib and share side by side, as in the pinned packages) inside
    /// the cluster's folder, which the server's OS user owns: a checkout under /root is out of that user's reach.
    /// </summary>
    private string CopyInstallation(string binDir, string destination)
    {
        var installation = Path.GetDirectoryName(Path.GetFullPath(binDir).TrimEnd('/'))!;
        if (!Directory.Exists(Path.Combine(installation, "lib")) || !Directory.Exists(Path.Combine(installation, "share")))
            throw new InvalidOperationException(
                $"the OS user {_osUser} cannot run {Path.Combine(binDir, "postgres")}: make the folders above it readable and searchable by that user");
        // cp keeps the library symlinks the packages' install script created.
        ChildProcess.RunChecked("cp", ["-a", installation, destination], TimeSpan.FromMinutes(2));
        return Path.Combine(destination, Path.GetFileName(Path.GetFullPath(binDir).TrimEnd('/')));
    }

    private static bool IsRoot()
    {
        try
        {
            return File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:") && l.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries)[1] == "0");
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string ServerOsUser()
    {
        var chosen = Environment.GetEnvironmentVariable("PGPHASE_TEST_OS_USER");
        if (!string.IsNullOrWhiteSpace(chosen))
            return chosen;
        var users = File.Exists("/etc/passwd") ? File.ReadAllLines("/etc/passwd").Select(l => l.Split(':')[0]).ToHashSet() : [];
        if (users.Contains("postgres"))
            return "postgres";
        throw new InvalidOperationException(
            "the tests run as root, and PostgreSQL refuses to: install the postgresql package (it creates the \"postgres\" OS user) or set PGPHASE_TEST_OS_USER to an unprivileged user");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1 || !IsThrowaway)
            return;
        try
        {
            if (_pgCtl is not null && _dataDir is not null && File.Exists(Path.Combine(_dataDir, "postmaster.pid")))
                AsServer(_pgCtl, ["-D", _dataDir, "-m", "immediate", "-w", "-t", "30", "stop"], TimeSpan.FromSeconds(60));
        }
        catch (Exception)
        {
            // Removing the directory below still frees the disk; the server dies with its data directory's lock gone.
        }
        try
        {
            if (_root is not null && Directory.Exists(_root))
                Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>How <see cref="PostgresCluster.Start"/> sets a cluster up.</summary>
public sealed record PostgresClusterOptions
{
    /// <summary>More directories for the server's Unix socket besides its own folder, e.g. /tmp (one of libpq's defaults).</summary>
    public IReadOnlyList<string> ExtraSocketDirectories { get; init; } = [];

    /// <summary>Authentication for local (socket) connections, e.g. "peer map=local" with <see cref="IdentLines"/>.</summary>
    public string LocalAuth { get; init; } = "trust";

    /// <summary>pg_hba.conf lines before the defaults (local as <see cref="LocalAuth"/>, host over loopback with scram).</summary>
    public IReadOnlyList<string> HbaLines { get; init; } = [];

    /// <summary>pg_ident.conf lines, e.g. "local root postgres".</summary>
    public IReadOnlyList<string> IdentLines { get; init; } = [];

    /// <summary>ssl=on with these files.</summary>
    public ServerCertificates? Ssl { get; init; }

    /// <summary>Server settings, e.g. log_connections=on.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary>The server's certificate and key, and the authority client certificates must chain to (for cert authentication).</summary>
public sealed record ServerCertificates(string CertificateFile, string KeyFile, string? ClientCaFile = null);
