using System.Security.Cryptography;
using Npgsql;
using PgPhaseRestore.Engine.Demo;

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

    public PostgresCluster() : this(binDir: null)
    {
    }

    /// <summary>
    /// A throwaway cluster of the installation whose initdb, pg_ctl and postgres are in <paramref name="binDir"/>,
    /// even when PGPHASE_TEST_CONNECTION names an existing server: the caller wants that server version.
    /// </summary>
    public static PostgresCluster FromBinDir(string binDir) => new(binDir);

    private PostgresCluster(string? binDir)
    {
        var existing = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (binDir is null && !string.IsNullOrWhiteSpace(existing))
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
        }, CancellationToken.None).GetAwaiter().GetResult();
        Host = ThrowawayCluster.Host;
        Port = _cluster.Port;
        User = ThrowawayCluster.User;
        IsThrowaway = true;
    }

    public bool IsThrowaway { get; }

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
