using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// The kitchen-sink source, its custom-format dump, and a role with only LOGIN and CREATEDB that restores it.
/// Every statement that role runs is logged, so tests can prove the order in which things happened.
/// </summary>
public sealed class RestoreFixture : IDisposable
{
    private readonly TempDir _dir = new("pgphase-restore-");

    public RestoreFixture(Services services)
    {
        Cluster = services.Postgres;
        Source = SampleDatabases.CreateKitchenSink(Cluster, "src");
        // Enough rows in one table that a restore can be interrupted in the middle of its load.
        Cluster.Execute(Source, "CREATE TABLE app.events (id bigint PRIMARY KEY, payload text NOT NULL, at timestamptz NOT NULL); " +
                                "INSERT INTO app.events SELECT g, repeat(md5(g::text), 8), timestamptz '2024-01-01' + g * interval '1 second' FROM generate_series(1, 400000) g; " +
                                "CREATE INDEX events_at ON app.events (at); CREATE INDEX events_payload ON app.events (payload);");
        DumpPath = _dir.File("source.dump");
        PgDump.Dump(Cluster, Source, DumpPath, "-Fc");
        RestorerPassword = "Rst-" + Guid.NewGuid().ToString("N")[..12] + ":x\\y";
        Restorer = "restorer_" + Guid.NewGuid().ToString("N")[..8];
        Cluster.Execute("postgres", $"CREATE ROLE {Restorer} LOGIN CREATEDB PASSWORD '{RestorerPassword}'");
        Cluster.Execute("postgres", $"ALTER ROLE {Restorer} SET log_statement = 'all'");
        JournalDir = _dir.File("journals");
    }

    public PostgresCluster Cluster { get; }
    public string Source { get; }
    public string DumpPath { get; }
    public string Restorer { get; }
    public string RestorerPassword { get; }
    public string JournalDir { get; }

    public Task<DumpArchive> ReadArchiveAsync() => ArchiveReader.ReadAsync(new ArchiveLocation(DumpPath));

    public PgConnectionInfo TargetAs(string database) =>
        PgConnectionInfo.Parse($"host={Cluster.Host} port={Cluster.Port} dbname={database} user={Restorer}", _ => null)
            .WithCredentials(Restorer, RestorerPassword);

    public RestoreOptions Options(string database) => new()
    {
        Target = TargetAs(database),
        CreateDatabase = true,
        NoOwner = true,
        NoPrivileges = true,
        JournalPath = Path.Combine(JournalDir, database + ".json"),
    };

    public string NewTargetName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    /// <summary>pg_dump --schema-only of a database, as a non-superuser restore can reproduce it.</summary>
    public string Schema(string database) => PgDump.ComparableSchema(Cluster, database);

    public void Dispose() => _dir.Dispose();
}
