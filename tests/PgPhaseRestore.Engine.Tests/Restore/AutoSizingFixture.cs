using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// A source whose index sorts are big enough that a build given too little maintenance_work_mem spills: int, text
/// (short and past the 126-byte short-varlena limit), nullable multi-column, expression, partial and INCLUDE
/// indexes, and a table of few distinct keys (deduplicated on disk); dumped as pg_dump custom (with offsets and
/// through a pipe), directory and tar files, and backed up by pgphase (with a manifest).
/// </summary>
public sealed class AutoSizingFixture : IDisposable
{
    private readonly TempDir _dir = new("pgphase-autosize-");

    public AutoSizingFixture(Services services)
    {
        Cluster = services.Postgres;
        Source = Cluster.CreateDatabase("autosrc");
        Cluster.Execute(Source, """
            CREATE SCHEMA sz;
            CREATE TABLE sz.wide (id integer PRIMARY KEY, k bigint NOT NULL, name text NOT NULL, code varchar(12), at timestamptz NOT NULL,
                                  flag boolean NOT NULL, amount numeric(12,2), note text);
            INSERT INTO sz.wide SELECT g, g * 7919 % 1000003, substr(md5(g::text), 1, 5 + g % 28), CASE WHEN g % 10 <> 0 THEN upper(substr(md5((g * 7)::text), 1, 1 + g % 12)) END,
                   timestamptz '2024-01-01' + g * interval '1 minute', g % 3 = 0, (g % 100000) / 100.0, repeat(chr(97 + g % 26), g % 300)
            FROM generate_series(1, 200000) g;
            CREATE INDEX wide_name ON sz.wide (name);
            CREATE INDEX wide_code_at ON sz.wide (code, at);
            CREATE INDEX wide_lower ON sz.wide (lower(name));
            CREATE INDEX wide_k_partial ON sz.wide (k) WHERE flag;
            CREATE UNIQUE INDEX wide_k_id ON sz.wide (k, id) INCLUDE (amount);
            CREATE INDEX wide_note ON sz.wide (note);
            CREATE TABLE sz.dups (id bigint, tag text NOT NULL, CONSTRAINT dups_pkey PRIMARY KEY (id));
            INSERT INTO sz.dups SELECT g, rpad('tag-' || (g % 10), 40, '.') FROM generate_series(1, 150000) g;
            CREATE INDEX dups_tag ON sz.dups (tag);
            ANALYZE;
            """);
        CustomPath = _dir.File("plain.dump");
        PgDump.Dump(Cluster, Source, CustomPath, "-Fc");
        PipedPath = _dir.File("piped.dump");
        PgDump.DumpThroughPipe(Cluster, Source, PipedPath);
        UncompressedPath = _dir.File("uncompressed.dump");
        PgDump.Dump(Cluster, Source, UncompressedPath, "-Fc", "-Z0");
        DirectoryPath = _dir.File("plain.dir");
        PgDump.Dump(Cluster, Source, DirectoryPath, "-Fd");
        TarPath = _dir.File("plain.tar");
        PgDump.Dump(Cluster, Source, TarPath, "-Ft");
        BackupPath = new BackupRunner(new BackupOptions { Source = SourceConnection, Destination = _dir.File("backups") + "/", BackupName = "sized" })
            .RunAsync(CancellationToken.None).GetAwaiter().GetResult().Location;
        JournalDir = _dir.File("journals");
    }

    public PostgresCluster Cluster { get; }
    public string Source { get; }
    public string CustomPath { get; }
    public string PipedPath { get; }
    public string DirectoryPath { get; }

    /// <summary>A custom file stored without compression: sz.wide's data is past the size a restore sizes provisionally.</summary>
    public string UncompressedPath { get; }
    public string TarPath { get; }
    public string BackupPath { get; }
    public string JournalDir { get; }

    public PgConnectionInfo SourceConnection => Connection(Source);

    public PgConnectionInfo Connection(string database) =>
        Cluster.ConnectionTo(database);

    public void Dispose() => _dir.Dispose();
}
