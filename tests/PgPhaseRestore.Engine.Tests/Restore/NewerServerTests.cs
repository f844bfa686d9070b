using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;
using Xunit.Abstractions;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// The kitchen-sink dump, made by pg_dump 15 from the packaged test cluster, and the fingerprint of its data there.
/// pg_dump 15 cannot dump a newer server, so the source stays on PostgreSQL 15 and only the targets are newer.
/// </summary>
public sealed class NewerServerFixture : IDisposable
{
    private readonly TempDir _dir = new("pgphase-newer-");
    private readonly PostgresCluster _source;

    public NewerServerFixture(Services services)
    {
        _source = services.Postgres;
        SourceDatabase = SampleDatabases.CreateKitchenSink(_source, "newsrc");
        DumpPath = _dir.File("kitchen-sink.dump");
        PgDump.Dump(_source, SourceDatabase, DumpPath, "-Fc");
        SourceData = DatabaseFingerprint.Data(DatabaseFingerprint.Compute(_source, SourceDatabase));
        PgRestore = _source.ClientTool("pg_restore");
    }

    public string SourceDatabase { get; }
    public string DumpPath { get; }
    public SortedDictionary<string, string> SourceData { get; }

    /// <summary>pg_restore of the installation whose pg_dump made the archive.</summary>
    public string PgRestore { get; }

    public string WorkFile(string name) => _dir.File(name);

    public void Dispose()
    {
        try
        {
            _source.DropDatabase(SourceDatabase);
        }
        finally
        {
            _dir.Dispose();
        }
    }
}

/// <summary>
/// Restores into PostgreSQL 16, 17 and 18 (the servers pinned in tests/pgservers) match a plain pg_restore into
/// the same server: same catalog, same rows, sequences and large objects, compared by a fingerprint computed by
/// SQL on that server.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class NewerServerTests : IClassFixture<NewerServerFixture>
{
    private readonly NewerServerFixture _f;
    private readonly ITestOutputHelper _out;

    public NewerServerTests(NewerServerFixture fixture, ITestOutputHelper output)
    {
        _f = fixture;
        _out = output;
    }

    [Theory]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(18)]
    public async Task Four_phase_restore_matches_a_plain_pg_restore_into_the_same_server(int major)
    {
        var clock = Stopwatch.StartNew();
        var pinned = PinnedPgServers.Locate(major);
        using var server = PostgresCluster.FromBinDir(pinned.BinDir);
        Assert.Equal(major, server.Scalar<int>("postgres", "SELECT current_setting('server_version_num')::int") / 10000);
        _out.WriteLine($"PostgreSQL {pinned.Version} from {server.BinDir} started in {clock.Elapsed.TotalSeconds:0.0} s");

        // Only LOGIN and CREATEDB, as on a managed platform.
        var restorer = "restorer_" + Guid.NewGuid().ToString("N")[..8];
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        server.Execute("postgres", $"CREATE ROLE {restorer} LOGIN CREATEDB PASSWORD '{password}'");

        clock.Restart();
        var phased = "phased";
        var results = await FourPhaseRestoreAsync(server, phased, restorer, password);
        _out.WriteLine($"four-phase restore: {clock.Elapsed.TotalSeconds:0.0} s");
        foreach (var r in results)
            Assert.True(r.Status == PhaseStatus.Succeeded, $"{r}: {string.Join("; ", r.Errors)}");
        Assert.Equal([1, 2, 3, 4], results.Select(r => r.Phase));

        clock.Restart();
        var plain = "plain";
        PlainRestore(server, plain, restorer, password);
        _out.WriteLine($"plain pg_restore: {clock.Elapsed.TotalSeconds:0.0} s");

        clock.Restart();
        var reference = DatabaseFingerprint.Compute(server, plain);
        var restored = DatabaseFingerprint.Compute(server, phased);
        _out.WriteLine($"fingerprints ({reference.Count} objects each): {clock.Elapsed.TotalSeconds:0.0} s");

        // The reference itself must be complete, or two equally broken restores would pass.
        var lost = DatabaseFingerprint.Differences(_f.SourceData, DatabaseFingerprint.Data(reference), "source", "plain pg_restore");
        Assert.True(lost.Length == 0, $"the plain pg_restore into PostgreSQL {pinned.Version} does not hold the source's data:\n{lost}");
        AssertCoversTheKitchenSink(reference);

        var differences = DatabaseFingerprint.Differences(reference, restored, "plain pg_restore", "four-phase restore");
        Assert.True(differences.Length == 0, $"PostgreSQL {pinned.Version}: the four-phase restore differs from a plain pg_restore:\n{differences}");
    }

    private async Task<IReadOnlyList<PhaseResult>> FourPhaseRestoreAsync(PostgresCluster server, string database, string restorer, string password)
    {
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(_f.DumpPath));
        var plan = PhasePlanner.Plan(archive, new PlanOptions { Strategy = RestoreStrategy.PreCreate });
        var options = new RestoreOptions
        {
            Target = PgConnectionInfo.Parse($"host={server.Host} port={server.Port} dbname={database} user={restorer}", _ => null)
                .WithCredentials(restorer, password),
            CreateDatabase = true,
            NoOwner = true,
            NoPrivileges = true,
            // The default journal lives in the user's home; tests keep theirs in their own temp folder.
            JournalPath = _f.WorkFile($"journal-{server.Port}-{database}.json"),
        };
        return await new PhaseRestorer(options, log: _out.WriteLine).RunAsync(plan.Phases, default);
    }

    /// <summary>pg_restore 15 in its own order, as the same role, into a database that role creates the same way.</summary>
    private void PlainRestore(PostgresCluster server, string database, string restorer, string password)
    {
        var asRestorer = new NpgsqlConnectionStringBuilder(server.ConnectionString()) { Username = restorer, Password = password }.ConnectionString;
        using (var conn = new NpgsqlConnection(asRestorer))
        {
            conn.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {database}", conn);
            create.ExecuteNonQuery();
        }

        // The password goes through a password file, never the command line.
        var passFile = _f.WorkFile($"pgpass-{server.Port}");
        File.WriteAllText(passFile, "");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(passFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(passFile, $"{server.Host}:{server.Port}:*:{restorer}:{password}\n");
        try
        {
            var run = ChildProcess.Run(_f.PgRestore,
                ["--no-owner", "--no-privileges", "-d", $"host={server.Host} port={server.Port} dbname={database} user={restorer}", _f.DumpPath],
                TimeSpan.FromMinutes(10), new Dictionary<string, string?> { ["PGPASSFILE"] = passFile });
            // Without --exit-on-error pg_restore goes on past errors and exits 1: any error fails the reference.
            Assert.True(run.ExitCode == 0, $"plain pg_restore exited with {run.ExitCode}:\n{run.StdErr}");
        }
        finally
        {
            File.Delete(passFile);
        }
    }

    /// <summary>The fingerprint sees every kind of object the kitchen sink has, so an equal pair means something.</summary>
    private static void AssertCoversTheKitchenSink(IReadOnlyDictionary<string, string> f)
    {
        string[] expected =
        [
            "extension pg_trgm", "extension btree_gist", "schema app", "schema \"odd; schema\"", "type app.mood", "type app.positive",
            "function app.touch()", "relation app.orders", "column app.customer.name_upper", "inherits app.orders_2024_h1 from app.orders_2024",
            "index app.customer_name_trgm", "index app.orders_2024_h1_pkey", "inherits app.orders_2024_h1_pkey from app.orders_2024_pkey",
            "constraint app.booking.booking_no_overlap", "constraint app.legacy.legacy_qty_positive", "constraint app.order_line.order_line_order_id_placed_fkey",
            "constraint type app.positive.positive_check", "trigger app.legacy.legacy_touch", "policy app.secret_doc.only_alice",
            "rule app.booking.log_booking", "view app.big_orders", "view app.customer_totals", "statistics app.orders_stats",
            "comment index app.customer_name_trgm", "sequence app.ticket_seq", "rows app.customer", "rows app.customer_totals",
            "rows \"odd; schema\".\"table with; semicolons\"",
        ];
        var missing = expected.Where(k => !f.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, "the fingerprint lacks: " + string.Join(", ", missing));
        Assert.StartsWith("last_value=4242 is_called=true", f["sequence app.ticket_seq"]);
        Assert.StartsWith("500 rows", f["rows app.customer"]);
        Assert.Contains("validated=false", f["constraint app.legacy.legacy_qty_positive"]);
        Assert.Equal(2, f.Keys.Count(k => k.StartsWith("large object ", StringComparison.Ordinal)));
        Assert.Contains("rls=true force_rls=true", f["relation app.secret_doc"]);
    }
}
