using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>Auto's sort estimates from a manifest, a source and a scan of the archive, against the sorts PostgreSQL really runs.</summary>
[Collection(ServicesCollection.Name)]
public sealed partial class AutoSizingTests : IClassFixture<AutoSizingFixture>
{
    // An estimate is never below the memory the sort used, and at most this many times it (full indexes; a partial
    // one sorts only its rows and is counted as if it held all).
    private const double ScanFactor = 2.5;
    private const double CatalogFactor = 3.0;

    private readonly AutoSizingFixture _f;

    public AutoSizingTests(AutoSizingFixture fixture) => _f = fixture;

    private async Task<(DumpArchive Archive, PlanOptions Options)> SizedAsync(string basis)
    {
        var path = basis switch
        {
            "manifest" => _f.BackupPath, "scan-piped" => _f.PipedPath, "scan-directory" => _f.DirectoryPath, "scan-tar" => _f.TarPath, _ => _f.CustomPath,
        };
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(path));
        var options = await IndexSizing.CompleteAsync(archive, new PlanOptions { Strategy = RestoreStrategy.Auto }, new S3Settings(),
            basis == "source" ? _f.SourceConnection : null, null, default);
        return (archive, options);
    }

    [Theory]
    [InlineData("scan-custom")]
    [InlineData("scan-piped")]
    [InlineData("scan-directory")]
    [InlineData("scan-tar")]
    [InlineData("source")]
    [InlineData("manifest")]
    public async Task Each_estimate_holds_its_sort_in_memory_within_the_stated_factor(string basis)
    {
        var (archive, options) = await SizedAsync(basis);
        var plan = PhasePlanner.Plan(archive, options with { MemoryBudget = 1L << 40 });
        var expected = basis.StartsWith("scan", StringComparison.Ordinal) ? SizeBasis.ArchiveScan : basis == "source" ? SizeBasis.Source : SizeBasis.Manifest;
        var sized = plan.IndexDecisions.Where(d => d.Entry.Schema == "sz").ToList();
        Assert.Equal(9, sized.Count);
        Assert.All(sized, d => Assert.True(d.Late && d.Estimate?.Basis == expected, d.ToString()));
        Assert.All(sized, d => Assert.Contains($"({d.Estimate!.BasisText}: ", d.ToString(), StringComparison.Ordinal));

        var report = new List<string>();
        foreach (var d in sized)
        {
            var name = d.Entry.Type == "CONSTRAINT" ? d.Entry.Name!.Split(' ')[^1] : d.Entry.Name!;
            long usedKb = SortKbUsed(name, d.Estimate!.SortBytes);
            double ratio = d.Estimate.SortBytes / 1024.0 / usedKb;
            report.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: estimate {d.Estimate.SortBytes / 1024} kB, used {usedKb} kB, x{ratio:F2}"));
            Assert.True(ratio >= 1, string.Join("\n", report));
            if (name != "wide_k_partial")
                Assert.True(ratio <= (expected == SizeBasis.ArchiveScan ? ScanFactor : CatalogFactor), string.Join("\n", report));
        }
    }

    /// <summary>
    /// Builds a copy of the source's index <paramref name="name"/> with maintenance_work_mem at the estimate and
    /// trace_sort on, rolled back; the largest in-memory sort's kB, failing when any sort went to disk.
    /// </summary>
    private long SortKbUsed(string name, long maintenanceWorkMem)
    {
        using var conn = _f.Cluster.Open(_f.Source);
        var notices = new List<string>();
        conn.Notice += (_, e) => notices.Add(e.Notice.MessageText);
        using var tx = conn.BeginTransaction();
        var definition = new NpgsqlCommand($"SELECT pg_get_indexdef('sz.{name}'::regclass)", conn, tx).ExecuteScalar() as string;
        var copy = Regex.Replace(definition!, @"INDEX \S+ ON", "INDEX sizing_probe ON");
        new NpgsqlCommand($"SET LOCAL maintenance_work_mem = '{(maintenanceWorkMem + 1023) / 1024}kB'; SET LOCAL max_parallel_maintenance_workers = 0; " +
                          $"SET LOCAL trace_sort = on; SET LOCAL client_min_messages = log; {copy}", conn, tx).ExecuteNonQuery();
        tx.Rollback();
        Assert.DoesNotContain(notices, n => n.Contains("external sort", StringComparison.Ordinal) || n.Contains("switching to external", StringComparison.Ordinal));
        var used = notices.Select(n => InternalSort().Match(n)).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.True(used.Count > 0, string.Join("\n", notices));
        return used.Max();
    }

    [Theory]
    [InlineData("manifest")]
    [InlineData("source")]
    [InlineData("scan-piped")]
    [InlineData("scan-directory")]
    [InlineData("scan-tar")]
    [InlineData("scan-custom")]
    public async Task Auto_with_a_fitting_budget_builds_every_btree_late_writes_no_temp_file_and_equals_the_source(string basis)
    {
        var (archive, options) = await SizedAsync(basis);
        var all = PhasePlanner.Plan(archive, options with { MemoryBudget = 1L << 40 }).IndexDecisions.Where(d => d.Late).ToList();
        // Fits every build, though with two jobs they run side by side, each with its own share.
        long budget = all.Sum(d => d.SortBytes!.Value);
        var plan = PhasePlanner.Plan(archive, options with { MemoryBudget = budget });
        Assert.Equal(all.Count, plan.IndexDecisions.Count(d => d.Late));
        Assert.True(all.Count >= 8, string.Join("\n", plan.IndexDecisions));

        var target = $"autosz_{Guid.NewGuid():N}"[..20];
        var log = new List<string>();
        var results = await new PhaseRestorer(new RestoreOptions
        {
            Target = _f.Connection(target), CreateDatabase = true, NoOwner = true, NoPrivileges = true, Jobs = 2,
            JournalPath = Path.Combine(_f.JournalDir, target + ".json"),
        }, null, m => { lock (log) log.Add(m); }).RunAsync(plan.Phases, default);
        foreach (var r in results)
            Assert.True(r.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped, $"{r}: {string.Join("; ", r.Errors)}");
        long temp = _f.Cluster.Scalar<long>("postgres", $"SELECT temp_bytes FROM pg_stat_database WHERE datname = '{target}'");
        Assert.True(temp == 0, $"{temp} temp bytes written by the restore\n{string.Join("\n", log.Where(l => l.StartsWith("building", StringComparison.Ordinal)))}");
        Assert.Equal(all.Count, log.Count(l => l.StartsWith("building ", StringComparison.Ordinal)));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, target));
        // A table loaded bare, in one session, from any kind of archive, is written frozen.
        _f.Cluster.Execute(target, "CREATE EXTENSION pg_visibility");
        long pages = _f.Cluster.Scalar<long>(target, "SELECT pg_relation_size('sz.wide') / current_setting('block_size')::bigint");
        long frozen = _f.Cluster.Scalar<long>(target, "SELECT all_frozen FROM pg_visibility_map_summary('sz.wide')");
        Assert.True(pages > 100 && frozen == pages, $"{frozen} of sz.wide's {pages} pages are all-frozen after the restore");
        _f.Cluster.DropDatabase(target);
    }

    /// <summary>
    /// With a budget the sorts cannot fit, the scan reads a table's rows only until each of its indexes is past the
    /// budget, or, sooner, until the share of the table's stored data read projects each past twice the budget:
    /// those indexes are built early whatever the rest holds, and their estimates say "at least" or "projected". The
    /// same estimates never let a later, larger budget build late on a sort they did not size. A file written to a
    /// pipe tells no block's size, so nothing is projected from it.
    /// </summary>
    [Fact]
    public async Task A_scan_for_a_small_budget_stops_once_every_index_of_a_table_is_past_it_or_projected_past_it()
    {
        const long budget = 4L << 20;
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(_f.CustomPath));
        var options = await IndexSizing.CompleteAsync(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = budget }, new S3Settings(), null, null, default);
        var plan = PhasePlanner.Plan(archive, options);
        var (whole, _) = await ArchiveSizeScan.EstimateAsync(archive, null, null, default);

        var sized = plan.IndexDecisions.Where(d => d.Entry.Schema == "sz").ToList();
        Assert.Equal(9, sized.Count);
        Assert.All(sized, d => Assert.True(!d.Late && d.Estimate is { } e &&
            ((e.AtLeast && e.SortBytes > budget && d.Reason.StartsWith("sort needs at least ", StringComparison.Ordinal)) ||
             (e.Projected && e.SortBytes > 2 * budget && d.Reason.StartsWith("sort projected at ", StringComparison.Ordinal) && d.Reason.Contains("% of stored data", StringComparison.Ordinal))), d.ToString()));
        // sz.wide's smallest sort is about five times the budget: a sixteenth of its data projects it, long before
        // its rows reach the budget. Its rows are alike throughout, so the projection is near the whole scan's.
        var wide = sized.Where(d => d.Entry.QualifiedName.StartsWith("sz.wide", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(wide);
        foreach (var d in wide)
        {
            var full = whole[$"sz.{AutoIndexPlanner.IndexName(d.Entry, AutoIndexPlanner.TableOf(archive, d.Entry)!)}"];
            Assert.True(d.Estimate!.Projected, d.ToString());
            Assert.InRange(d.Estimate.SortBytes, full.SortBytes / 2, full.SortBytes * 2);
            Assert.InRange(d.Estimate.Rows, 100_000, 400_000);
        }
        Assert.All(sized.Where(d => d.Estimate!.AtLeast), d => Assert.InRange(d.Estimate!.Rows, 1, 149_999));

        var larger = PhasePlanner.Plan(archive, options with { MemoryBudget = 1L << 40 });
        Assert.All(larger.IndexDecisions.Where(d => d.Entry.Schema == "sz"), d => Assert.True(!d.Late && d.Reason.Contains("sized only up to a smaller budget", StringComparison.Ordinal), d.ToString()));

        var piped = await ArchiveReader.ReadAsync(new ArchiveLocation(_f.PipedPath));
        var pipedOptions = await IndexSizing.CompleteAsync(piped, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = budget }, new S3Settings(), null, null, default);
        Assert.All(PhasePlanner.Plan(piped, pipedOptions).IndexDecisions.Where(d => d.Entry.Schema == "sz"),
            d => Assert.True(!d.Late && d.Estimate is { AtLeast: true, Projected: false } e && e.SortBytes > budget, d.ToString()));
    }

    /// <summary>
    /// A custom archive cut inside a table's data: the scan names the table where it stopped, read on another
    /// thread or not, and the tables read whole before it keep their estimates.
    /// </summary>
    [Fact]
    public async Task A_scan_of_a_cut_archive_says_in_which_table_it_stopped()
    {
        var cut = Path.Combine(Path.GetDirectoryName(_f.CustomPath)!, "cut.dump");
        var whole = await File.ReadAllBytesAsync(_f.CustomPath);
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(_f.CustomPath));
        var (all, none) = await ArchiveSizeScan.EstimateAsync(archive, null, null, default);
        Assert.Null(none);
        // Halfway through the data blocks, after the TOC.
        int length = (int)(archive.TocEndOffset + (whole.Length - archive.TocEndOffset) / 2);
        await File.WriteAllBytesAsync(cut, whole[..length]);
        try
        {
            var cutArchive = await ArchiveReader.ReadAsync(new ArchiveLocation(cut));
            var log = new List<string>();
            var (some, problem) = await ArchiveSizeScan.EstimateAsync(cutArchive, null, log.Add, default);
            Assert.NotNull(problem);
            Assert.Matches("^the scan of the archive's data stopped in TABLE DATA sz\\.\\w+ ", problem);
            // Where the file ends, in the file's own offsets (a chunk's length is read just before its data).
            long at = long.Parse(Regex.Match(problem, @"at byte offset (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.InRange(at, length - 8, length);
            Assert.Contains("while reading the data of TABLE DATA sz.", problem);
            Assert.Contains(log, l => l.Contains(problem, StringComparison.Ordinal));
            Assert.True(some.Count < all.Count, $"{some.Count} of {all.Count} sized");
            Assert.All(some, e => Assert.Equal(all[e.Key].SortBytes, e.Value.SortBytes));
        }
        finally
        {
            File.Delete(cut);
        }
    }

    /// <summary>
    /// A byte changed inside a table's compressed data: the scan says the archive is damaged, and where, in its own
    /// words rather than .NET's (which calls a stream that does not inflate "an unsupported compression method").
    /// </summary>
    [Fact]
    public async Task A_scan_of_a_damaged_block_says_the_archive_is_damaged()
    {
        var flipped = Path.Combine(Path.GetDirectoryName(_f.CustomPath)!, "flipped.dump");
        var bytes = await File.ReadAllBytesAsync(_f.CustomPath);
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(_f.CustomPath));
        var starts = archive.Entries.Where(e => e.DataOffset is > 0).Select(e => e.DataOffset!.Value).Append(bytes.Length).Order().ToList();
        int biggest = Enumerable.Range(0, starts.Count - 1).MaxBy(i => starts[i + 1] - starts[i]);
        var damaged = archive.Entries.Single(e => e.DataOffset == starts[biggest]);
        bytes[starts[biggest] + (starts[biggest + 1] - starts[biggest]) / 2] ^= 0x55;
        await File.WriteAllBytesAsync(flipped, bytes);
        try
        {
            var (_, problem) = await ArchiveSizeScan.EstimateAsync(await ArchiveReader.ReadAsync(new ArchiveLocation(flipped)), null, null, default);
            Assert.NotNull(problem);
            Assert.StartsWith($"the scan of the archive's data stopped in {damaged.Label}: its data cannot be decompressed (", problem);
            Assert.EndsWith("); the archive is damaged", problem);

            // Planned with Auto, which scans it: the restore of that table is refused before the target is created.
            var plan = await ArchivePlanning.PlanAsync(new ArchiveLocation(flipped), new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = 1L << 30 }, default);
            var target = $"scandmg_{Guid.NewGuid():N}"[..20];
            var refused = await Assert.ThrowsAsync<PgPhaseException>(() => new PhaseRestorer(new RestoreOptions
            {
                Target = _f.Connection(target), CreateDatabase = true, NoOwner = true, NoPrivileges = true,
                JournalPath = Path.Combine(_f.JournalDir, target + ".json"),
            }).RunAsync(plan.Phases, default));
            Assert.Equal(PgPhaseErrorCode.DamagedArchive, refused.Code);
            Assert.StartsWith($"{flipped}: the data of {damaged.Label} cannot be decompressed (", refused.Message);
            Assert.EndsWith("; nothing was created", refused.Message);
            Assert.Equal(0L, _f.Cluster.Scalar<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'"));
        }
        finally
        {
            File.Delete(flipped);
        }
    }

    /// <summary>
    /// A backup of a database never analyzed has no row estimates in its manifest: a local archive is then scanned
    /// for the indexes the manifest cannot size, and each estimate says so.
    /// </summary>
    [Fact]
    public async Task A_manifest_without_row_estimates_is_completed_by_a_scan_of_the_local_archive()
    {
        var db = _f.Cluster.CreateDatabase("unanalyzed");
        _f.Cluster.Execute(db, """
            CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL) WITH (autovacuum_enabled = false);
            CREATE INDEX t_name ON t (name);
            INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
            """); // indexes built on the empty table: no row estimate either
        var dir = Path.Combine(_f.JournalDir, "..", "unanalyzed-" + Guid.NewGuid().ToString("N")[..8]) + "/";
        var backup = await new BackupRunner(new BackupOptions { Source = _f.Connection(db), Destination = dir }).RunAsync(default);
        Assert.All(backup.Tables, t => Assert.Null(t.RowEstimate));

        var plan = await ArchivePlanning.PlanAsync(new ArchiveLocation(backup.Location), new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = 1L << 30 }, default);

        Assert.Null(plan.SizingGap);
        Assert.Equal(2, plan.IndexDecisions.Count);
        Assert.All(plan.IndexDecisions, d => Assert.True(d.Late && d.Estimate!.Basis == SizeBasis.ArchiveScan && d.Estimate.Rows == 20000, d.ToString()));
        _f.Cluster.DropDatabase(db);
    }

    /// <summary>
    /// Auto warns of indexes it could not size only when there are some: an archive whose tables have no btree index
    /// (no manifest sizes, a bucket not scanned) plans with no gap; the same gap with an index to size is shown.
    /// </summary>
    [Fact]
    public async Task No_sizing_gap_is_reported_for_an_archive_without_an_index_to_size()
    {
        var db = _f.Cluster.CreateDatabase("noindex");
        _f.Cluster.Execute(db, "CREATE TABLE t (id int, name text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 100) g;");
        var path = Path.Combine(Path.GetDirectoryName(_f.CustomPath)!, $"noindex-{Guid.NewGuid():N}.dump");
        PgDump.Dump(_f.Cluster, db, path, "-Fc");
        var options = new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = 1L << 30, NoEstimateReason = "no manifest, and the archive is in a bucket" };

        Assert.Null(PhasePlanner.Plan(await ArchiveReader.ReadAsync(new ArchiveLocation(path)), options).SizingGap);
        _f.Cluster.Execute(db, "CREATE INDEX t_id ON t (id)");
        PgDump.Dump(_f.Cluster, db, path, "-Fc");
        var withIndex = PhasePlanner.Plan(await ArchiveReader.ReadAsync(new ArchiveLocation(path)), options);
        Assert.Equal("no manifest, and the archive is in a bucket", withIndex.SizingGap);
        _f.Cluster.DropDatabase(db);
    }

    /// <summary>
    /// With room for the largest sort and a half, late builds overlap (the tables' builds become ready together), and
    /// each starts only while the shares already running leave room for its own: at every start, the shares of the
    /// builds running add up to at most the budget. No sort spills, and the target equals the source.
    /// </summary>
    [Fact]
    public async Task Late_builds_side_by_side_never_take_more_than_the_budget_together()
    {
        var (archive, options) = await SizedAsync("manifest");
        var all = PhasePlanner.Plan(archive, options with { MemoryBudget = 1L << 40 }).IndexDecisions.Where(d => d.Late).ToList();
        long largest = all.Max(d => d.SortBytes!.Value);
        long budget = largest + largest / 2;
        var plan = PhasePlanner.Plan(archive, options with { MemoryBudget = budget });
        var late = plan.IndexDecisions.Where(d => d.Late).ToDictionary(d => d.Entry.QualifiedName, d => d.SortBytes!.Value);
        Assert.Equal(all.Count, late.Count);
        Assert.True(late.Values.Sum() > budget, "every build fits at once: the test would prove nothing");

        var target = $"autobud_{Guid.NewGuid():N}"[..20];
        var log = new List<string>();
        var results = await new PhaseRestorer(new RestoreOptions
        {
            Target = _f.Connection(target), CreateDatabase = true, NoOwner = true, NoPrivileges = true, Jobs = 2,
            JournalPath = Path.Combine(_f.JournalDir, target + ".json"),
        }, null, m => { lock (log) log.Add(m); }).RunAsync(plan.Phases, default);
        foreach (var r in results)
            Assert.True(r.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped, $"{r}: {string.Join("; ", r.Errors)}");

        // A build is logged as started before it runs and as built before its share is given back; a constraint built as
        // its index gives its share back once sorted, and says so first.
        var running = new Dictionary<string, long>();
        var sorted = new HashSet<string>();
        int most = 0;
        var events = log.Where(l => l.StartsWith("building ", StringComparison.Ordinal) || l.StartsWith("sorted ", StringComparison.Ordinal)
                                    || l.StartsWith("built ", StringComparison.Ordinal)).ToList();
        foreach (var line in events)
        {
            if (line.StartsWith("building ", StringComparison.Ordinal))
            {
                var name = late.Keys.Single(k => line.Contains($" {k} after its table's data", StringComparison.Ordinal));
                running.Add(name, late[name]);
                most = Math.Max(most, running.Count);
                Assert.True(running.Values.Sum() <= budget, $"{string.Join(", ", running.Keys)} ran at once, {running.Values.Sum()} bytes over a {budget}-byte budget\n{string.Join("\n", events)}");
            }
            else if (line.StartsWith("sorted ", StringComparison.Ordinal))
            {
                var name = late.Keys.Single(k => line.StartsWith($"sorted {k} in ", StringComparison.Ordinal));
                Assert.True(running.Remove(name) && sorted.Add(name), line);
            }
            else
            {
                var name = late.Keys.Single(k => line.StartsWith($"built {k} in ", StringComparison.Ordinal));
                Assert.True(running.Remove(name) || sorted.Contains(name), line);
            }
        }
        Assert.Equal(late.Count, events.Count(l => l.StartsWith("built ", StringComparison.Ordinal)));
        Assert.Contains(sorted, n => n.EndsWith("_pkey", StringComparison.Ordinal));
        Assert.True(most >= 2, $"no two builds ran side by side\n{string.Join("\n", events)}");
        Assert.Equal(0L, _f.Cluster.Scalar<long>("postgres", $"SELECT temp_bytes FROM pg_stat_database WHERE datname = '{target}'"));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, target));
        _f.Cluster.DropDatabase(target);
    }

    [GeneratedRegex(@"internal sort (?:of worker -?\d+ )?ended, (\d+) KB used")]
    private static partial Regex InternalSort();
}
