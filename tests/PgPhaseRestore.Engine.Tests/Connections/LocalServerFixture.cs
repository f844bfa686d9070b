using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Connections;

/// <summary>
/// A cluster set up the way a local server and a managed one are reached: its socket also in /tmp (one of libpq's
/// default directories) with peer authentication (root and postgres may log in as postgres), ssl on with a
/// certificate for localhost and 127.0.0.1 signed by a test CA, cert authentication for one role, password (scram)
/// authentication over TCP for another, and every connection logged. Plus a small custom-format dump that any OS
/// user may read.
/// </summary>
public sealed class LocalServerFixture : IDisposable
{
    private readonly TempDir _dir = new("pgphase-libpq-");

    public LocalServerFixture()
    {
        // Readable by the server's OS user and by the postgres OS user that runs pgphase in some tests.
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_101_101);
        Ca = TestCertificates.CreateAuthority(_dir.File("ca"), "pgphase");
        WrongCa = TestCertificates.CreateAuthority(_dir.File("wrong-ca"), "other");
        var server = Ca.IssueServer("server", "localhost", "127.0.0.1");
        ClientCertificate = Ca.IssueClient("certuser", CertUser);

        var osUsers = new[] { "root", "postgres", Environment.UserName }.Distinct();
        Cluster = PostgresCluster.Start(new PostgresClusterOptions
        {
            ExtraSocketDirectories = ["/tmp"],
            LocalAuth = "peer map=local",
            IdentLines = osUsers.Select(u => $"local {u} postgres").ToList(),
            HbaLines = [$"hostssl all {CertUser} 127.0.0.1/32 cert", $"hostssl all {CertUser} ::1/128 cert"],
            Ssl = new ServerCertificates(server.Certificate, server.Key, Ca.CaFile),
            Settings = new Dictionary<string, string> { ["log_connections"] = "on" },
        });
        Port = Cluster.Port;
        AppPassword = "App-" + Guid.NewGuid().ToString("N")[..10] + ":x\\y";
        Cluster.Execute("postgres", $"CREATE ROLE {AppUser} LOGIN CREATEDB PASSWORD '{AppPassword.Replace("'", "''")}'");
        Cluster.Execute("postgres", $"CREATE ROLE {CertUser} LOGIN");

        Cluster.Execute("postgres", "CREATE DATABASE sample");
        Cluster.Execute("sample", "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); CREATE INDEX items_name ON items (name); " +
                                  "CREATE TABLE item_notes (id int PRIMARY KEY, item int REFERENCES items, note text); " +
                                  "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g; " +
                                  "INSERT INTO item_notes SELECT g, g, 'note' FROM generate_series(1, 100) g;");
        DumpPath = _dir.File("sample.dump");
        PgDump.Dump(Cluster, "sample", DumpPath, "-Fc", "--no-owner");
        File.SetUnixFileMode(DumpPath, (UnixFileMode)0b110_100_100);
    }

    public const string AppUser = "app_user";
    public const string CertUser = "certuser";

    public PostgresCluster Cluster { get; }
    public int Port { get; }
    public string AppPassword { get; }
    public TestCertificates Ca { get; }
    public TestCertificates WrongCa { get; }
    public (string Certificate, string Key) ClientCertificate { get; }
    public string DumpPath { get; }

    /// <summary>A folder for one test's files (password and service files, journals) that any OS user may enter.</summary>
    public TempDir NewFolder()
    {
        var dir = new TempDir("pgphase-libpq-case-");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);
        return dir;
    }

    /// <summary>A password file with one line, mode 0600 (libpq ignores it otherwise).</summary>
    public string WritePassFile(string path, string host, string database = "*", string user = AppUser, string? password = null)
    {
        File.WriteAllText(path, $"# written by the test\n{host}:{Port}:{database}:{user}:{Escape(password ?? AppPassword)}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace(":", "\\:");

    /// <summary>A connection parsed with only the given variables (nothing of the test run's own environment).</summary>
    public static PgConnectionInfo Parse(string conninfo, IDictionary<string, string>? env = null) =>
        PgConnectionInfo.Parse(conninfo, k => env is not null && env.TryGetValue(k, out var v) ? v : null);

    /// <summary>The server log's lines for pgphase's sessions on one database, the engine's and pg_restore's (log_connections).</summary>
    public IReadOnlyList<string> PgPhaseSessions(string database) =>
        File.ReadAllLines(Cluster.LogFile!).Where(l => l.Contains("connection authorized:") && l.Contains($"database={database} application_name=pgphase")).ToList();

    public void Dispose()
    {
        Cluster.Dispose();
        _dir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class LocalServerCollection : ICollectionFixture<LocalServerFixture>
{
    public const string Name = "local server with ssl";
}
