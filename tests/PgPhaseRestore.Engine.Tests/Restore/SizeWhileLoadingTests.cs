using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// A restore sizes a big table's late builds from its first rows, and confirms each sort from every row as the table
/// loads, before anything commits: the late build runs with the measured size, a sort that outgrows the budget is
/// built before the rows instead, and a resume sizes a table an earlier run loaded unmeasured.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class SizeWhileLoadingTests : IClassFixture<AutoSizingFixture>
{
    private readonly AutoSizingFixture _f;

    public SizeWhileLoadingTests(AutoSizingFixture fixture) => _f = fixture;

    private async Task<(DumpArchive Archive, RestorePlan Plan, Dictionary<string, IndexSortEstimate> Whole)> PlanAsync(string path, long? budget, bool whileLoading = true)
    {
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(path));
        var (whole, _) = await ArchiveSizeScan.EstimateAsync(archive, null, null, default);
        // Fits every build side by side, as the full scan sizes them.
        budget ??= whole.Values.Sum(e => e.SortBytes);
        var plan = await ArchivePlanning.PlanAsync(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = budget, SizeWhileLoading = whileLoading },
            new S3Settings(), default);
        return (archive, plan, whole);
    }

    private RestoreOptions Options(string target, int jobs, bool resume = false, IReadOnlyCollection<int>? phases = null) => new()
    {
        Target = _f.Connection(target), CreateDatabase = true, NoOwner = true, NoPrivileges = true, Jobs = jobs, Resume = resume, Phases = phases ?? [],
        JournalPath = Path.Combine(_f.JournalDir, target + ".json"),
    };

    private static string Key(DumpArchive archive, IndexDecision d) => AutoIndexPlanner.EstimateKey(d.Entry, AutoIndexPlanner.TableOf(archive, d.Entry)!);

    private long TempBytes(string database) => _f.Cluster.Scalar<long>("postgres", $"SELECT temp_bytes FROM pg_stat_database WHERE datname = '{database}'");

    private static void Succeeded(IReadOnlyList<PhaseResult> results)
    {
        foreach (var r in results)
            Assert.True(r.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped, $"{r}: {string.Join("; ", r.Errors)}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_big_table_is_planned_from_its_first_rows_and_each_late_sort_is_measured_from_every_row_before_it_commits(int jobs)
    {
        var (archive, plan, whole) = await PlanAsync(_f.UncompressedPath, null);
        var wide = plan.IndexDecisions.Where(d => d.Entry.QualifiedName.StartsWith("sz.wide", StringComparison.Ordinal)).ToList();
        var dups = plan.IndexDecisions.Where(d => d.Entry.QualifiedName.StartsWith("sz.dups", StringComparison.Ordinal)).ToList();
        Assert.True(wide.Count >= 6 && dups.Count == 2, string.Join("\n", plan.IndexDecisions));
        // sz.wide's stored data (about 50 MB) is past the provisional size: read only in part. sz.dups is read whole.
        Assert.All(wide, d => Assert.True(d.Late && d.Estimate is { Provisional: true } && d.Reason.Contains("once the rows confirm it as they load", StringComparison.Ordinal), d.ToString()));
        Assert.All(dups, d => Assert.True(d.Late && d.Estimate is { Provisional: false, Projected: false, AtLeast: false }, d.ToString()));

        var target = $"szload_{Guid.NewGuid():N}"[..20];
        var log = new List<string>();
        var results = await new PhaseRestorer(Options(target, jobs), null, m => { lock (log) log.Add(m); }).RunAsync(plan.Phases, default);
        Succeeded(results);
        Assert.Contains(log, l => l.StartsWith("sz.wide: 200,000 rows measured as they loaded", StringComparison.Ordinal));
        Assert.Equal(0, TempBytes(target));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, target));
        // What each late build ran with is what a scan of every row measures, never the projection.
        var journal = RestoreJournal.Load(Path.Combine(_f.JournalDir, target + ".json"));
        foreach (var d in wide)
        {
            Assert.Equal(whole[Key(archive, d)].SortBytes, journal.MeasuredSorts[d.Entry.DumpId]);
            var kb = (journal.MeasuredSorts[d.Entry.DumpId] + 1023) / 1024;
            Assert.Contains(log, l => l.StartsWith($"building {d.Entry.Type} {d.Entry.QualifiedName} after its table's data, with maintenance_work_mem {SizeText.Format(Math.Max(1024, kb) * 1024)}", StringComparison.Ordinal));
        }
        Assert.All(dups, d => Assert.False(journal.MeasuredSorts.ContainsKey(d.Entry.DumpId)));
        _f.Cluster.DropDatabase(target);
    }

    /// <summary>Both hosts' restores plan this way: the command line's here, Invoke-PgPhaseRestore's in its Pester tests.</summary>
    [Fact]
    public void Pgphase_restore_measures_a_big_table_as_it_loads()
    {
        var target = $"szcli_{Guid.NewGuid():N}"[..20];
        var env = new Dictionary<string, string?>
        {
            ["DST_PGHOST"] = _f.Cluster.Host, ["DST_PGPORT"] = _f.Cluster.Port.ToString(), ["DST_PGUSER"] = _f.Cluster.User,
            ["DST_PGPASSWORD"] = _f.Cluster.Password, ["DST_DBNAME"] = target, ["PGPASSWORD"] = null, ["PGHOST"] = null, ["PGUSER"] = null,
        };
        var r = Cli.PgPhaseCli.Run(env, "restore", _f.UncompressedPath, "--create", "--no-owner", "--no-privileges", "--jobs", "2", "--memory-budget", "2GB",
            "--journal", Path.Combine(_f.JournalDir, target + ".json"));
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Contains("sz.wide: 200,000 rows measured as they loaded", r.StdOut + r.StdErr, StringComparison.Ordinal);
        Assert.Equal(0, TempBytes(target));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, target));
        _f.Cluster.DropDatabase(target);
    }

    /// <summary>
    /// A table whose first rows carry a wide payload and short keys, and whose later rows the reverse: its first share
    /// of stored bytes projects the key's sort far inside the budget, though the whole table's is far past it.
    /// </summary>
    [Fact]
    public async Task A_sort_that_outgrows_the_budget_as_its_rows_load_is_built_before_them_and_the_table_loads_again()
    {
        const long budget = 32L << 20;
        var source = _f.Cluster.CreateDatabase($"skew_{Guid.NewGuid():N}"[..16]);
        _f.Cluster.Execute(source, """
            CREATE TABLE public.skew (id integer PRIMARY KEY, key text NOT NULL, payload text NOT NULL);
            INSERT INTO public.skew SELECT g, 'e' || lpad(g::text, 5, '0'), repeat(md5(g::text), 62) FROM generate_series(1, 20000) g;
            INSERT INTO public.skew SELECT g, rpad(md5(g::text), 100, 'k'), '' FROM generate_series(20001, 220000) g;
            CREATE INDEX skew_key ON public.skew (key);
            """);
        using var dir = new TempDir("pgphase-skew-");
        var dump = dir.File("skew.dump");
        PgDump.Dump(_f.Cluster, source, dump, "-Fc", "-Z0");
        var (archive, plan, whole) = await PlanAsync(dump, budget);
        var key = plan.IndexDecisions.Single(d => d.Entry.Name == "skew_key");
        var pkey = plan.IndexDecisions.Single(d => d.Entry.Type == "CONSTRAINT");
        Assert.True(key.Late && key.Estimate!.Provisional && key.SortBytes * 4 < budget && whole["public.skew_key"].SortBytes > budget, key.ToString());
        Assert.True(pkey.Late && pkey.Estimate!.Provisional && whole["public.skew_pkey"].SortBytes < budget, pkey.ToString());

        var target = $"skewt_{Guid.NewGuid():N}"[..20];
        var log = new List<string>();
        var results = await new PhaseRestorer(Options(target, 2), null, m => { lock (log) log.Add(m); }).RunAsync(plan.Phases, default);
        Succeeded(results);
        Assert.Contains(log, l => l.StartsWith("public.skew: the sort of 1 provisional late build outgrew the 32 MiB budget as the rows loaded: public.skew_key at least ", StringComparison.Ordinal)
                                  && l.EndsWith("built now on the empty table, then the table loads again", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.StartsWith("building INDEX public.skew_key", StringComparison.Ordinal));
        Assert.Contains(log, l => l.StartsWith("building CONSTRAINT public.skew skew_pkey after its table's data", StringComparison.Ordinal));
        Assert.Equal(0, TempBytes(target));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, source), DatabaseContents.Fingerprint(_f.Cluster, target));
        var journal = RestoreJournal.Load(Path.Combine(_f.JournalDir, target + ".json"));
        Assert.Equal(whole["public.skew_pkey"].SortBytes, journal.MeasuredSorts[pkey.Entry.DumpId]);
        Assert.False(journal.MeasuredSorts.ContainsKey(key.Entry.DumpId));
        _f.Cluster.DropDatabase(target);
        _f.Cluster.DropDatabase(source);
    }

    /// <summary>
    /// With one job, a table measured as it loads goes after pg_restore's share of the phase. Told to go on after an
    /// error, the restore still loads it when the share failed, and names the failure.
    /// </summary>
    [Fact]
    public async Task Going_on_after_an_error_a_table_measured_as_it_loads_still_loads_with_one_job()
    {
        var (archive, plan, _) = await PlanAsync(_f.UncompressedPath, null);
        Assert.Contains(plan.IndexDecisions, d => d.Estimate?.Provisional == true);
        var target = $"szkeep_{Guid.NewGuid():N}"[..20];
        Succeeded(await new PhaseRestorer(Options(target, 1, phases: [1, 2])).RunAsync(plan.Phases, default));
        // sz.dups refuses every row; sz.wide, measured as it loads, does not depend on it.
        _f.Cluster.Execute(target, "ALTER TABLE sz.dups ADD CONSTRAINT refuse_rows CHECK (false) NOT VALID");
        var results = await new PhaseRestorer(Options(target, 1, resume: true) with { StopOnError = false }).RunAsync(plan.Phases, default);
        var data = results.Single(r => r.Phase == 3);
        Assert.Equal(PhaseStatus.Failed, data.Status);
        Assert.Contains(data.Errors, e => e.Message.Contains("refuse_rows", StringComparison.Ordinal));
        Assert.Equal(200_000L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM sz.wide"));
        var wideData = archive.Entries.Single(e => e.Type == "TABLE DATA" && e.Name == "wide").DumpId;
        Assert.Contains(wideData, RestoreJournal.Load(Path.Combine(_f.JournalDir, target + ".json")).CompletedTables);
        _f.Cluster.DropDatabase(target);
    }

    /// <summary>
    /// An earlier run, planned from every row, loaded sz.wide and was stopped before its late builds. The
    /// resume, planned provisionally, has no measurement for the loaded table: it scans it before building.
    /// </summary>
    [Fact]
    public async Task A_resume_measures_a_table_an_earlier_run_loaded_unmeasured_before_its_late_builds()
    {
        var (_, fromEveryRow, _) = await PlanAsync(_f.UncompressedPath, null, whileLoading: false);
        var (archive, provisional, scanned) = await PlanAsync(_f.UncompressedPath, null);
        Assert.Contains(provisional.IndexDecisions, d => d.Estimate?.Provisional == true);
        var target = $"szres_{Guid.NewGuid():N}"[..20];
        Succeeded(await new PhaseRestorer(Options(target, 2, phases: [1, 2])).RunAsync(fromEveryRow.Phases, default));
        // Stopped (Ctrl+C) as soon as sz.wide has committed: its late builds had not run.
        using (var stop = new CancellationTokenSource())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new PhaseRestorer(Options(target, 2, resume: true), null, m =>
            {
                if (m.StartsWith("sz.wide committed", StringComparison.Ordinal))
                    stop.Cancel();
            }).RunAsync(fromEveryRow.Phases, stop.Token));
        }
        var path = Path.Combine(_f.JournalDir, target + ".json");
        var wideData = archive.Entries.Single(e => e.Type == "TABLE DATA" && e.Name == "wide").DumpId;
        Assert.Contains(wideData, RestoreJournal.Load(path).CompletedTables);
        Assert.Empty(RestoreJournal.Load(path).MeasuredSorts);

        var log = new List<string>();
        Succeeded(await new PhaseRestorer(Options(target, 2, resume: true), null, m => { lock (log) log.Add(m); }).RunAsync(provisional.Phases, default));
        Assert.Contains(log, l => l.Contains("sizing ", StringComparison.Ordinal) && l.Contains("1 table from the archive's data", StringComparison.Ordinal));
        Assert.Equal(0, TempBytes(target));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, target));
        var journal = RestoreJournal.Load(path);
        // The builds the first run finished are not measured again; those it had not are.
        Assert.NotEmpty(journal.MeasuredSorts);
        foreach (var d in provisional.IndexDecisions.Where(d => journal.MeasuredSorts.ContainsKey(d.Entry.DumpId)))
            Assert.Equal(scanned[Key(archive, d)].SortBytes, journal.MeasuredSorts[d.Entry.DumpId]);
        _f.Cluster.DropDatabase(target);
    }
}
