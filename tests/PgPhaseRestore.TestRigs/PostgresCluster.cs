using System.Security.Cryptography;
using Npgsql;
using PgPhaseRestore.Demo;

namespace PgPhaseRestore.TestRigs;

/// <summary>
/// A throwaway PostgreSQL cluster for one test run: the engine's <see cref="ThrowawayCluster"/> (initdb into a temp
/// directory, a free loopback port, password authentication over TCP, an unprivileged OS user when the test run is
/// root), with the helpers tests use. Stopped and removed on dispose and at process exit.
///
/// Set PGPHASE_TEST_CONNECTION to a superuser connection string to use an existing server instead;
/// PGPHASE_PG_BINDIR to choose the server binaries; PGPHASE_TEST_OS_USER to choose the OS user under root.
/// <see cref="FromBinDir"/> starts a given installation, such as a pinned newer server (<see cref="PinnedPgServers"/>).
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    public const string ConnectionVariable = "PGPHASE_TEST_CONNECTION";

    private readonly ThrowawayCluster? _cluster;

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

        Password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
        _cluster = ThrowawayCluster.StartAsync(new ThrowawayClusterOptions
        {
            BinDir = binDir ?? PgServerBinaries.Locate(),
            OsUser = Environment.GetEnvironmentVariable("PGPHASE_TEST_OS_USER"),
            Password = Password,
            ExtraSocketDirectories = options?.ExtraSocketDirectories ?? [],
            BeforeStart = options is null ? null : cluster => Configure(cluster, options),
        }, CancellationToken.None).GetAwaiter().GetResult();
        Host = ThrowawayCluster.Host;
        Port = _cluster.Port;
        User = ThrowawayCluster.User;
        IsThrowaway = true;
    }

    public bool IsThrowaway { get; }

    /// <summary>The cluster's own socket directory (its temp folder); null for an existing server.</summary>
    public string? SocketDirectory => _cluster?.Root;

    /// <summary>
    /// Writes what the options ask for into the data directory (pg_hba.conf and pg_ident.conf replaced, the ssl
    /// files copied beside it, owned by the server's OS user) and returns the matching server options.
    /// </summary>
    private static List<string> Configure(ThrowawayCluster cluster, PostgresClusterOptions options)
    {
        var settings = options.Settings.Select(kv => $"-c {kv.Key}={kv.Value}").ToList();
        var hba = options.HbaLines.Concat([
            $"local all all {options.LocalAuth}",
            "host all all 127.0.0.1/32 scram-sha-256",
            "host all all ::1/128 scram-sha-256",
        ]);
        var written = new List<string> { Path.Combine(cluster.DataDirectory, "pg_hba.conf"), Path.Combine(cluster.DataDirectory, "pg_ident.conf") };
        File.WriteAllLines(written[0], hba);
        File.WriteAllLines(written[1], options.IdentLines);
        if (options.Ssl is { } ssl)
        {
            var dir = Path.Combine(cluster.Root, "ssl");
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
        if (cluster.OsUser is not null)
            ChildProcess.RunChecked("chown", new[] { cluster.OsUser }.Concat(written), TimeSpan.FromSeconds(30));
        return settings;
    }

    /// <summary>The unprivileged OS user the server runs as when the tests run as root (null otherwise).</summary>
    public string? OsUser => _cluster?.OsUser;
    public string? BinDir => _cluster?.BinDir;
    public string Host { get; }
    public int Port { get; }
    public string User { get; }
    public string Password { get; }
    public string? LogFile => _cluster?.LogFile;
    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = Host, Port = Port, Username = User, Password = Password, Database = database,
            Pooling = false, Timeout = 30, CommandTimeout = 600,
        }.ConnectionString;

    /// <summary>The engine's connection to <paramref name="database"/> as this cluster's owner (or <paramref name="user"/>, with its password).</summary>
    public PgPhaseRestore.Engine.Connections.PgConnectionInfo ConnectionTo(string database, string? user = null, string? password = null) =>
        PgPhaseRestore.Engine.Connections.PgConnectionInfo.Parse($"host={Host} port={Port} dbname={database}", _ => null)
            .WithCredentials(user ?? User, user is null ? Password : password);

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

    public void Dispose() => _cluster?.Dispose();
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
