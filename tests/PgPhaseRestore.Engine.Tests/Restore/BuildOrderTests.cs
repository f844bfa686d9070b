using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// Late builds start longest first, by their sorts' expected duration rather than their size: the scan notes which
/// keys' rows come in order (a sort PostgreSQL finds sorted takes one pass), and keys of text sort slowest.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class BuildOrderTests : IDisposable
{
    private readonly PostgresCluster _cluster;
    private readonly TempDir _dir = new("pgphase-buildorder-");
    private readonly string _source;
    private readonly string _dump;

    /// <summary>Per index, whether its table's rows come in the order of its key's first column.</summary>
    private static readonly Dictionary<string, bool> Ordered = new()
    {
        ["ord.readings_pkey"] = true,
        ["ord.readings_at"] = true,
        ["ord.readings_score"] = true,
        // From -100,000 up: in order as numbers, not as text ("-99999" after "-100000").
        ["ord.readings_neg"] = true,
        ["ord.readings_id_at"] = true,
        // Nulls sort last, and the rows end with them.
        ["ord.readings_late_null"] = true,
        ["ord.readings_wide"] = true,
        // Ties on a key of one column keep the order: the INCLUDE column is not compared.
        ["ord.readings_day_inc"] = true,
        ["ord.readings_w1_key"] = true,
        ["ord.readings_w2_uq"] = true,
        ["ord.readings_token"] = false,
        // Text is never taken as ordered: its collation, not its bytes, orders it.
        ["ord.readings_code"] = false,
        ["ord.readings_label"] = false,
        // Ties on the first column leave the order to the second.
        ["ord.readings_cycle_id"] = false,
        ["ord.readings_id_desc"] = false,
    };

    public BuildOrderTests(Services services)
    {
        _cluster = services.Postgres;
        _source = _cluster.CreateDatabase($"ordsrc_{Guid.NewGuid():N}"[..16]);
        _cluster.Execute(_source, """
            CREATE SCHEMA ord;
            CREATE TABLE ord.readings (id bigint NOT NULL, at timestamptz NOT NULL, score double precision NOT NULL, neg integer NOT NULL,
                                       token uuid NOT NULL, code text NOT NULL, label text NOT NULL, cycle integer NOT NULL, late_null integer, day date NOT NULL,
                                       w1 bigint NOT NULL, w2 bigint NOT NULL, w3 bigint NOT NULL, w4 bigint NOT NULL,
                                       CONSTRAINT readings_pkey PRIMARY KEY (id), CONSTRAINT readings_w1_key UNIQUE (w1) DEFERRABLE);
            INSERT INTO ord.readings SELECT g, timestamptz '2024-01-01' + g * interval '1 second', g / 7.0, g - 100000, md5(g::text)::uuid,
                   lpad(g::text, 8, '0'), 'l' || (g % 97), g % 500, CASE WHEN g <= 40000 THEN g END, date '2024-01-01' + g / 1000, g, g, g, g
            FROM generate_series(1, 60000) g;
            CREATE INDEX readings_at ON ord.readings (at);
            CREATE INDEX readings_score ON ord.readings (score);
            CREATE INDEX readings_neg ON ord.readings (neg);
            CREATE INDEX readings_id_at ON ord.readings (id, at);
            CREATE INDEX readings_late_null ON ord.readings (late_null);
            CREATE INDEX readings_wide ON ord.readings (id, w1, w2, w3, w4);
            CREATE INDEX readings_token ON ord.readings (token);
            CREATE INDEX readings_code ON ord.readings (code);
            CREATE INDEX readings_label ON ord.readings (label);
            CREATE INDEX readings_cycle_id ON ord.readings (cycle, id);
            CREATE INDEX readings_id_desc ON ord.readings (id DESC);
            CREATE INDEX readings_day_inc ON ord.readings (day) INCLUDE (id);
            CREATE UNIQUE INDEX readings_w2_uq ON ord.readings (w2);
            -- pg_dump appends these to the indexes' entries: two builds that lock the table more than CREATE INDEX.
            ALTER TABLE ord.readings CLUSTER ON readings_at;
            ALTER TABLE ord.readings REPLICA IDENTITY USING INDEX readings_w2_uq;
            ANALYZE;
            """);
        _dump = _dir.File("ordered.dump");
        PgDump.Dump(_cluster, _source, _dump, "-Fc");
    }

    /// <summary>Restores the plan into a new database; its name and the restore's log.</summary>
    private async Task<(string Target, List<string> Log)> RestoreAsync(RestorePlan plan, int jobs)
    {
        var target = $"ordtgt_{Guid.NewGuid():N}"[..20];
        var log = new List<string>();
        var results = await new PhaseRestorer(new RestoreOptions
        {
            Target = _cluster.ConnectionTo(target), CreateDatabase = true, NoOwner = true, NoPrivileges = true, Jobs = jobs,
            JournalPath = _dir.File(target + ".json"),
        }, null, m => { lock (log) log.Add(m); }).RunAsync(plan.Phases, default);
        foreach (var r in results)
            Assert.True(r.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped, $"{r}: {string.Join("; ", r.Errors)}");
        return (target, log);
    }

    [Fact]
    public async Task The_scan_finds_which_keys_rows_come_in_order_as_the_source_server_sees_them()
    {
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(_dump));
        var (estimates, problem) = await ArchiveSizeScan.EstimateAsync(archive, null, null, default);
        Assert.Null(problem);
        foreach (var (index, ordered) in Ordered)
            Assert.True(estimates[index].InKeyOrder == ordered, $"{index}: InKeyOrder {estimates[index].InKeyOrder}, expected {ordered}");
        // The server's own statistics agree: each key column taken as ordered is in the table's physical order.
        foreach (var column in new[] { "id", "at", "score", "neg", "late_null", "day" })
            Assert.Equal(1.0, _cluster.Scalar<double>(_source, $"SELECT correlation FROM pg_stats WHERE schemaname = 'ord' AND tablename = 'readings' AND attname = '{column}'"), 6);
        Assert.InRange(_cluster.Scalar<double>(_source, "SELECT correlation FROM pg_stats WHERE schemaname = 'ord' AND tablename = 'readings' AND attname = 'token'"), -0.5, 0.5);
    }

    /// <summary>
    /// From a source connection or a backup's manifest, the order comes from the source's statistics: the correlation
    /// of each index's first key column with the rows' physical order, the order pg_dump writes them in. There, a text
    /// column is judged in its collation's order, so zero-padded codes count as ordered.
    /// </summary>
    [Fact]
    public async Task A_source_or_a_manifest_tells_the_order_from_the_statistics()
    {
        var expected = Ordered.ToDictionary(o => o.Key, o => o.Value || o.Key == "ord.readings_code");
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(_dump));
        var facts = await SourceInspector.InspectAsync(_cluster.ConnectionTo(_source), default);
        var fromSource = IndexSizing.FromCatalog(archive, facts.Tables, facts.Indexes, SizeBasis.Source);
        foreach (var (index, ordered) in expected)
            Assert.True(fromSource[index].InKeyOrder == ordered, $"{index} from the source: InKeyOrder {fromSource[index].InKeyOrder}, expected {ordered}");

        // Recorded in the manifest, and read back from it by a restore's planning.
        var backup = await new BackupRunner(new BackupOptions { Source = _cluster.ConnectionTo(_source), Destination = _dir.File("backups") + "/", BackupName = "ordered" })
            .RunAsync(CancellationToken.None);
        var backupArchive = await ArchiveReader.ReadAsync(new ArchiveLocation(backup.Location));
        var options = await IndexSizing.CompleteAsync(backupArchive, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = 1L << 30 }, new S3Settings(), null, null, default);
        foreach (var (index, ordered) in expected)
            Assert.True(options.IndexEstimates![index] is { Basis: SizeBasis.Manifest } e && e.InKeyOrder == ordered, $"{index} from the manifest: {options.IndexEstimates[index]}, expected InKeyOrder {ordered}");
    }

    /// <summary>
    /// With one job the builds run one at a time, so the log shows the order they start in: keys of text in any order
    /// first, then other keys in any order, then keys whose rows came in order, though the widest of those needs
    /// more memory than the text keys.
    /// </summary>
    [Fact]
    public async Task Late_builds_start_longest_first_not_largest_first()
    {
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(_dump));
        var plan = await ArchivePlanning.PlanAsync(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = 1L << 30 }, new S3Settings(), default);
        var late = plan.IndexDecisions.Where(d => d.Late).ToDictionary(d => d.Entry.Schema + "." + AutoIndexPlanner.IndexName(d.Entry, AutoIndexPlanner.TableOf(archive, d.Entry)!));
        Assert.Equal(Ordered.Keys.Order(), late.Keys.Order());
        Assert.True(late["ord.readings_wide"].SortBytes > late["ord.readings_label"].SortBytes && late["ord.readings_wide"].SortBytes > late["ord.readings_code"].SortBytes,
            "the widest ordered key must need more memory than the text keys, or the order proves nothing");

        var (target, log) = await RestoreAsync(plan, jobs: 1);

        var started = log.Where(l => l.StartsWith("building ", StringComparison.Ordinal))
            .Select(l => late.Keys.Single(k => l.Contains($" {late[k].Entry.QualifiedName} after its table's data", StringComparison.Ordinal))).ToList();
        Assert.Equal(late.Count, started.Count);
        int Rank(string index) => Ordered[index] ? 2 : index is "ord.readings_code" or "ord.readings_label" ? 0 : 1;
        Assert.True(started.Select(Rank).SequenceEqual(started.Select(Rank).Order()), string.Join("\n", started));
        Assert.Equal(0, _cluster.Scalar<long>("postgres", $"SELECT temp_bytes FROM pg_stat_database WHERE datname = '{target}'"));
        Assert.Equal(DatabaseContents.Fingerprint(_cluster, _source), DatabaseContents.Fingerprint(_cluster, target));
        _cluster.DropDatabase(target);
    }

    /// <summary>
    /// A constraint built as pg_dump wrote it (ALTER TABLE ... ADD CONSTRAINT) locks its table against every other
    /// build: with two jobs it never runs beside another build of its table, which it would only hold up (and be held
    /// up by). So does an index entry that also sets CLUSTER ON or REPLICA IDENTITY, and two of them never run together,
    /// which could deadlock. A primary key in pg_dump's plain form sorts beside the others as its unique index, and becomes the
    /// constraint only once no other build runs on its table. Either way the target equals the source.
    /// </summary>
    [Fact]
    public async Task A_constraint_locks_its_table_only_while_nothing_else_builds_on_it()
    {
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(_dump));
        var plan = await ArchivePlanning.PlanAsync(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = 1L << 30 }, new S3Settings(), default);
        var late = plan.IndexDecisions.Where(d => d.Late).ToList();
        var key = late.Single(d => d.Entry.Name == "readings readings_pkey");
        var whole = late.Where(d => d.Entry.Name is "readings readings_w1_key" or "readings_at" or "readings_w2_uq").ToList();
        Assert.Equal(3, whole.Count);
        Assert.All(whole.Where(d => d.Entry.Type == "INDEX"), d => Assert.Contains(";\n", d.Entry.Definition!.TrimEnd().TrimEnd(';')));

        var (target, log) = await RestoreAsync(plan, jobs: 2);

        // A build is logged as started before it runs and as built after it committed (a constraint built as its
        // index: after the constraint was added, before anything else may start on the table).
        var running = new HashSet<IndexDecision>();
        int most = 0;
        bool keyBesideAnother = false, keySorting = false;
        var events = log.Where(l => l.StartsWith("building ", StringComparison.Ordinal) || l.StartsWith("sorted ", StringComparison.Ordinal)
                                    || l.StartsWith("built ", StringComparison.Ordinal)).ToList();
        string Events() => "\n" + string.Join("\n", events);
        foreach (var line in events)
        {
            if (line.StartsWith("building ", StringComparison.Ordinal))
            {
                var build = late.Single(d => line.StartsWith($"building {d.Entry.Type} {d.Entry.QualifiedName} after", StringComparison.Ordinal));
                Assert.Equal(build == key, line.EndsWith(", as its unique index", StringComparison.Ordinal));
                Assert.False(running.Count > 0 && (whole.Contains(build) || running.Overlaps(whole)),
                    $"{build.Entry.QualifiedName} started beside {string.Join(", ", running.Select(b => b.Entry.QualifiedName))}{Events()}");
                running.Add(build);
                most = Math.Max(most, running.Count);
                keySorting |= build == key;
            }
            else if (line.StartsWith("sorted ", StringComparison.Ordinal))
            {
                Assert.StartsWith($"sorted {key.Entry.QualifiedName} in ", line);
                keySorting = false;
            }
            else
            {
                var build = late.Single(d => line.StartsWith($"built {d.Entry.QualifiedName} in ", StringComparison.Ordinal));
                Assert.True(build != key || running.Count == 1, $"{key.Entry.QualifiedName} became the constraint beside {string.Join(", ", running.Where(b => b != key).Select(b => b.Entry.QualifiedName))}{Events()}");
                running.Remove(build);
            }
            keyBesideAnother |= keySorting && running.Count > 1;
        }
        Assert.True(keyBesideAnother, $"{key.Entry.QualifiedName} never sorted beside another build{Events()}");
        // The key counts from its start to its constraint: once sorted, it leaves its job to the next build.
        Assert.True(most >= 2, $"the builds never ran two at a time: the test would prove nothing{Events()}");
        Assert.Equal(DatabaseContents.Fingerprint(_cluster, _source), DatabaseContents.Fingerprint(_cluster, target));
        Assert.Equal("p|true|true", _cluster.Scalar<string>(target, """
            SELECT c.contype::text || '|' || i.indisprimary || '|' || i.indisunique FROM pg_constraint c JOIN pg_index i ON i.indexrelid = c.conindid
            WHERE c.conname = 'readings_pkey'
            """));
        const string settings = """
            SELECT c.relreplident::text || '|' || string_agg(i.indexrelid::regclass::text || ':' || i.indisclustered || ':' || i.indisreplident, ',' ORDER BY i.indexrelid::regclass::text)
            FROM pg_class c JOIN pg_index i ON i.indrelid = c.oid WHERE c.oid = 'ord.readings'::regclass AND (i.indisclustered OR i.indisreplident) GROUP BY c.relreplident
            """;
        Assert.Equal("i|ord.readings_at:true:false,ord.readings_w2_uq:false:true", _cluster.Scalar<string>(_source, settings));
        Assert.Equal(_cluster.Scalar<string>(_source, settings), _cluster.Scalar<string>(target, settings));
        _cluster.DropDatabase(target);
    }

    public void Dispose()
    {
        _cluster.DropDatabase(_source);
        _dir.Dispose();
    }
}
