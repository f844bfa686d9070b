using System.Text.RegularExpressions;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Processes;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Restore.DataLoad;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.Engine.Verification;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>Four-phase restores against real PostgreSQL, as a role with only LOGIN and CREATEDB.</summary>
[Collection(ServicesCollection.Name)]
public sealed class PhaseRestoreTests : IClassFixture<RestoreFixture>
{
    private readonly RestoreFixture _f;

    public PhaseRestoreTests(RestoreFixture fixture) => _f = fixture;

    private async Task<IReadOnlyList<PhaseResult>> RestoreAsync(string target, RestoreStrategy strategy = RestoreStrategy.PreCreate,
        int[]? phases = null, bool resume = false, CancellationToken ct = default, IProgress<RestoreProgress>? progress = null,
        int jobs = 1, long splitTableSize = RestoreOptions.DefaultSplitTableSize, Action<string>? log = null, string? archivePath = null, bool force = false, bool allowNonEmpty = false)
    {
        var archive = archivePath is null ? await _f.ReadArchiveAsync() : await ArchiveReader.ReadAsync(new ArchiveLocation(archivePath));
        var plan = PhasePlanner.Plan(archive, new PlanOptions { Strategy = strategy });
        var baseOptions = _f.Options(target);
        var options = new RestoreOptions
        {
            Target = baseOptions.Target, CreateDatabase = true, NoOwner = true, NoPrivileges = true,
            JournalPath = baseOptions.JournalPath, Phases = phases ?? [], Resume = resume, Force = force, AllowNonEmptyTarget = allowNonEmpty,
            SessionSettings = new Dictionary<string, string> { ["synchronous_commit"] = "off" },
            Jobs = jobs, SplitTableSize = splitTableSize,
        };
        return await new PhaseRestorer(options, progress, log).RunAsync(plan.Phases, ct);
    }

    private static void AssertSucceeded(IReadOnlyList<PhaseResult> results)
    {
        foreach (var r in results)
            Assert.True(r.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped, $"{r}: {string.Join("; ", r.Errors)}");
    }

    private void AssertSameAsSource(string target)
    {
        Assert.Equal(_f.Schema(_f.Source), _f.Schema(target));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, target));
    }

    /// <summary>Statements the restoring role ran in a database, in order, from the server log.</summary>
    private List<string> LoggedStatements(string database, long fromOffset)
    {
        using var stream = new FileStream(_f.Cluster.LogFile!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(fromOffset, SeekOrigin.Begin);
        var text = new StreamReader(stream).ReadToEnd();
        var statements = new List<string>();
        // pg_restore's statements, and those of pgphase's own sessions (extended protocol: "execute <unnamed>").
        var marker = new Regex($" {Regex.Escape(database)} {Regex.Escape(_f.Restorer)} LOG:  (?:statement|execute [^:]*): ");
        foreach (Match m in Regex.Matches(text, @"^\S+ \S+ \S+ \[\d+\] (.*)$((?:\n(?!\d{4}-\d\d-\d\d ).*)*)", RegexOptions.Multiline))
        {
            var line = m.Value;
            if (marker.Match(line) is { Success: true } at)
                statements.Add(line[(at.Index + at.Length)..]);
        }
        return statements;
    }

    // A statement that builds an index; ADD CONSTRAINT ... USING INDEX only makes a built index a constraint.
    private static readonly Regex IndexBuild = new(@"CREATE (UNIQUE )?INDEX|ADD CONSTRAINT (""[^""]+""|\S+) (PRIMARY KEY|UNIQUE|EXCLUDE)(?! USING INDEX )", RegexOptions.Compiled);

    [Fact]
    public async Task PreCreate_restore_equals_the_source_and_builds_no_index_after_the_first_row()
    {
        var target = _f.NewTargetName("pre");
        long logStart = new FileInfo(_f.Cluster.LogFile!).Length;

        var results = await RestoreAsync(target);

        AssertSucceeded(results);
        Assert.Equal([1, 2, 3, 4], results.Select(r => r.Phase));
        AssertSameAsSource(target);

        var statements = LoggedStatements(target, logStart);
        int firstCopy = statements.FindIndex(s => s.StartsWith("COPY ", StringComparison.Ordinal));
        Assert.True(firstCopy > 0, "the data load should be in the statement log");
        var lateBuilds = statements.Skip(firstCopy).Where(s => IndexBuild.IsMatch(s)).ToList();
        Assert.Empty(lateBuilds);
        Assert.Contains(statements.Take(firstCopy), s => s.Contains("CREATE INDEX events_payload", StringComparison.Ordinal));
        Assert.Contains(statements.Take(firstCopy), s => s.Contains("EXCLUDE USING gist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Standard_restore_also_equals_the_source_but_builds_indexes_after_the_load()
    {
        var target = _f.NewTargetName("std");
        long logStart = new FileInfo(_f.Cluster.LogFile!).Length;

        AssertSucceeded(await RestoreAsync(target, RestoreStrategy.Standard));
        AssertSameAsSource(target);

        // The control for the test above: the same log check does see late builds when they happen.
        var statements = LoggedStatements(target, logStart);
        int firstCopy = statements.FindIndex(s => s.StartsWith("COPY ", StringComparison.Ordinal));
        Assert.Contains(statements.Skip(firstCopy), s => IndexBuild.IsMatch(s));
    }

    [Fact]
    public async Task A_local_archive_written_through_a_pipe_is_mapped_once_and_its_tables_load_side_by_side()
    {
        // pg_dump to a pipe leaves no data offsets, so pg_restore -j cannot load the file in parallel.
        var piped = Path.Combine(Path.GetDirectoryName(_f.DumpPath)!, "piped.dump");
        PgDump.DumpThroughPipe(_f.Cluster, _f.Source, piped);
        Assert.Contains((await ArchiveReader.ReadAsync(new ArchiveLocation(piped))).Entries, e => e.DataState == DataState.OffsetNotSet);

        var target = _f.NewTargetName("piped");
        var log = new List<string>();
        var results = await RestoreAsync(target, jobs: 4, splitTableSize: 1024 * 1024, log: m => { lock (log) log.Add(m); }, archivePath: piped);

        AssertSucceeded(results);
        Assert.Contains(log, l => l.StartsWith($"{piped} has no data offsets (pg_dump wrote it to a pipe): mapped ", StringComparison.Ordinal));
        Assert.Contains(log, l => l.StartsWith($"phase 3 loads ", StringComparison.Ordinal) && l.Contains($"from {piped}, up to 4 at once, each from its own data", StringComparison.Ordinal));
        Assert.Contains(log, l => l.StartsWith("loaded app.events: 400,000 rows over 4 sessions", StringComparison.Ordinal));
        AssertSameAsSource(target);
    }

    [Fact]
    public async Task A_local_tar_archive_loads_its_tables_side_by_side_each_copied_from_its_member()
    {
        // pg_restore reads a tar archive front to back in one process: no -j, one table after another.
        var tar = Path.Combine(Path.GetDirectoryName(_f.DumpPath)!, "sidebyside.tar");
        PgDump.Dump(_f.Cluster, _f.Source, tar, "-Ft");

        var target = _f.NewTargetName("tar");
        var log = new List<string>();
        long logStart = new FileInfo(_f.Cluster.LogFile!).Length;
        var results = await RestoreAsync(target, jobs: 4, splitTableSize: 1024 * 1024, log: m => { lock (log) log.Add(m); }, archivePath: tar);

        AssertSucceeded(results);
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(tar));
        int tables = archive.Entries.Count(e => e.Type == "TABLE DATA");
        Assert.Contains(log, l => l == $"phase 3 loads {tables - 1} tables from {tar}, up to 4 at once, each from its own data");
        Assert.Contains(log, l => l.StartsWith("loaded app.events: 400,000 rows over 4 sessions", StringComparison.Ordinal));
        // Every table's rows went in by a COPY of the sessions, none through pg_restore's own.
        var copies = LoggedStatements(target, logStart).Where(s => s.StartsWith("COPY ", StringComparison.Ordinal)).ToList();
        Assert.Equal(tables - 1 + 4, copies.Count);
        AssertSameAsSource(target);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task The_data_phase_reports_bytes_of_the_archive_done_with_a_rate_and_the_time_left(int jobs)
    {
        var target = _f.NewTargetName("meter");
        var reports = new List<RestoreProgress>();
        var results = await RestoreAsync(target, jobs: jobs, splitTableSize: 1024L * 1024, progress: new CallbackProgress<RestoreProgress>(p => { lock (reports) reports.Add(p); }));
        AssertSucceeded(results);

        var archive = await _f.ReadArchiveAsync();
        var sizes = SplitTableChoice.DataSizes(archive);
        long total = archive.Entries.Where(e => sizes.ContainsKey(e.DumpId)).Sum(e => sizes[e.DumpId]);
        Assert.True(total > 1024 * 1024, $"{total} bytes of data in the archive");
        var data = reports.Where(r => r.Phase == 3).Select(r => r.Data).ToList();
        Assert.All(data, d => Assert.Equal(total, Assert.IsType<DataProgress>(d).BytesTotal));
        Assert.All(reports.Where(r => r.Phase != 3), r => Assert.Null(r.Data));
        // Never beyond the total (never backwards, where one thread reports), all of it at the end, with a rate and a time left on the way.
        var done = data.Select(d => d!.BytesDone).ToList();
        Assert.All(done, b => Assert.InRange(b, 0, total));
        if (jobs == 1)
            Assert.Equal(done.Order(), done);
        Assert.Equal(total, done[^1]);
        Assert.Contains(data, d => d!.BytesDone > 0 && d.BytesDone < total && d.BytesPerSecond > 0 && d.Remaining is not null);
        Assert.Equal(100, reports.Last(r => r.Phase == 3).PercentComplete);
        Assert.Matches(@"^\S+ \S+ of \S+ \S+ \(\d+%\)( at \S+ \S+/s)?(, about \d+ (s|min) left)?$", data[^1]!.ToString());
        AssertSameAsSource(target);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(1024L * 1024)]
    public async Task Parallel_jobs_with_tables_split_across_sessions_give_a_target_equal_to_the_source(long splitTableSize)
    {
        // 1 byte: every table with data loads split, pg_restore -j only sets sequences and large objects;
        // 1 MiB: the big table alone is split and pg_restore -j loads the rest.
        var target = _f.NewTargetName("split");
        var log = new List<string>();
        var results = await RestoreAsync(target, jobs: 4, splitTableSize: splitTableSize, log: m => { lock (log) log.Add(m); });
        AssertSucceeded(results);
        Assert.Contains(log, l => l.StartsWith("loaded app.events: 400,000 rows over 4 sessions", StringComparison.Ordinal));
        Assert.Equal(splitTableSize == 1, log.Any(l => l.StartsWith("loaded app.customer:", StringComparison.Ordinal)));
        AssertSameAsSource(target);
    }

    [Fact]
    public async Task Auto_loads_a_table_whose_every_index_is_late_in_one_session_keeping_the_dumps_row_order()
    {
        // With PreCreate the same table, jobs and split size load over 4 sessions (the test above): its indexes are
        // maintained as rows arrive. Built late, there is nothing to spread, and interleaved sessions would leave the
        // heap out of the dump's order, which the late sorts then pay for.
        var archive = await _f.ReadArchiveAsync();
        var source = _f.Cluster.ConnectionTo(_f.Source);
        var sizes = (await IndexSizing.CompleteAsync(archive, new PlanOptions { Strategy = RestoreStrategy.Auto }, new S3Settings(), source, null, default)).IndexEstimates;
        var plan = PhasePlanner.Plan(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, IndexEstimates = sizes, MemoryBudget = 1L << 40 });
        var onEvents = plan.IndexDecisions.Where(d => d.Entry.Definition?.Contains(" ON app.events ", StringComparison.Ordinal) == true
                                                      || d.Entry.Definition?.Contains("ALTER TABLE ONLY app.events", StringComparison.Ordinal) == true).ToList();
        Assert.True(onEvents.Count >= 3 && onEvents.All(d => d.Late), string.Join("\n", onEvents));

        var target = _f.NewTargetName("autobare");
        var log = new List<string>();
        var baseOptions = _f.Options(target);
        var results = await new PhaseRestorer(new RestoreOptions
        {
            Target = baseOptions.Target, CreateDatabase = true, NoOwner = true, NoPrivileges = true, JournalPath = baseOptions.JournalPath,
            Jobs = 4, SplitTableSize = 1024 * 1024,
        }, null, m => { lock (log) log.Add(m); }).RunAsync(plan.Phases, default);
        AssertSucceeded(results);
        Assert.DoesNotContain(log, l => l.Contains("app.events", StringComparison.Ordinal) && l.Contains(" sessions", StringComparison.Ordinal));
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM (SELECT id < lag(id) OVER (ORDER BY ctid) AS back FROM app.events) x WHERE back"));
        AssertSameAsSource(target);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Auto_builds_after_the_data_only_what_fits_the_budget_writes_no_temp_file_and_equals_the_source(bool budgetFitsAll)
    {
        var archive = await _f.ReadArchiveAsync();
        var source = _f.Cluster.ConnectionTo(_f.Source);
        var sizes = (await IndexSizing.CompleteAsync(archive, new PlanOptions { Strategy = RestoreStrategy.Auto }, new S3Settings(), source, null, default)).IndexEstimates;
        var candidates = PhasePlanner.Plan(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, IndexEstimates = sizes, MemoryBudget = 1L << 40 })
            .IndexDecisions.Where(d => d.Late).OrderBy(d => d.SortBytes).ToList();
        Assert.Contains(candidates, d => d.Entry.Name == "events_payload");
        Assert.DoesNotContain(candidates, d => d.Entry.Definition!.Contains("gist", StringComparison.Ordinal));
        // All: every candidate fits at once. Part: the biggest sort is over the budget and stays early.
        long budget = budgetFitsAll ? candidates.Sum(d => d.SortBytes!.Value) : candidates[^1].SortBytes!.Value - 1;
        var plan = PhasePlanner.Plan(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, IndexEstimates = sizes, MemoryBudget = budget });
        var late = plan.IndexDecisions.Where(d => d.Late).ToList();
        Assert.Equal(candidates.Count(d => d.SortBytes <= budget), late.Count);
        Assert.Equal(late.Select(d => d.Entry.DumpId).Order(), plan[PhaseKind.Data].LateBuilds.Select(d => d.Entry.DumpId).Order());
        if (!budgetFitsAll)
            Assert.Contains(plan.IndexDecisions, d => !d.Late && d.Reason.Contains("over the", StringComparison.Ordinal));

        var target = _f.NewTargetName(budgetFitsAll ? "autoall" : "autohalf");
        long logStart = new FileInfo(_f.Cluster.LogFile!).Length;
        var log = new List<string>();
        var baseOptions = _f.Options(target);
        var results = await new PhaseRestorer(new RestoreOptions
        {
            Target = baseOptions.Target, CreateDatabase = true, NoOwner = true, NoPrivileges = true, JournalPath = baseOptions.JournalPath, Jobs = 2,
        }, null, m => { lock (log) log.Add(m); }).RunAsync(plan.Phases, default);
        AssertSucceeded(results);
        // Read before the comparison below, whose ordered row hashes sort on disk themselves.
        long temp = _f.Cluster.Scalar<long>("postgres", $"SELECT temp_bytes FROM pg_stat_database WHERE datname = '{target}'");
        Assert.True(temp == 0, $"{temp} temp bytes written by the restore");
        AssertSameAsSource(target);

        // The statement log shows exactly the late builds after the first row, each with its share announced.
        var statements = LoggedStatements(target, logStart);
        int firstCopy = statements.FindIndex(s => s.StartsWith("COPY ", StringComparison.Ordinal));
        var builtAfter = statements.Skip(firstCopy).Where(s => IndexBuild.IsMatch(s)).ToList();
        Assert.True(late.Count == builtAfter.Count, $"late: {string.Join(", ", late.Select(d => d.Entry.Name))}\nbuilt after the first COPY: {string.Join("\n", builtAfter)}");
        foreach (var d in late)
        {
            var name = d.Entry.Type == "CONSTRAINT" ? d.Entry.Name!.Split(' ')[^1] : d.Entry.Name!;
            Assert.Contains(builtAfter, s => s.Contains(name, StringComparison.Ordinal));
            Assert.Contains(log, l => l.StartsWith($"building {d.Entry.Type} {d.Entry.QualifiedName} after its table's data, with maintenance_work_mem", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Auto_keeps_an_index_early_when_its_tables_data_is_not_restored()
    {
        var archive = await _f.ReadArchiveAsync();
        var sizes = archive.Entries.Where(e => e.Type == "INDEX").ToDictionary(e => $"{e.Schema}.{e.Name}", _ => new IndexSortEstimate(1, 1024, SizeBasis.Source, "given"));
        var all = PhasePlanner.Plan(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, IndexEstimates = sizes, MemoryBudget = 1L << 40 });
        Assert.Contains(all.IndexDecisions, d => d.Late && d.Entry.Name == "events_payload");

        // Without data, a late build would wait for a table that never loads: the planner keeps it early.
        var schemaOnly = PhasePlanner.Plan(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, IndexEstimates = sizes, MemoryBudget = 1L << 40, ExcludeTypes = ["TABLE DATA"] });
        Assert.DoesNotContain(schemaOnly.IndexDecisions, d => d.Late);
        Assert.Contains(schemaOnly.IndexDecisions, d => d.Entry.Name == "events_payload" && d.Reason == "its table's data is not restored by this plan");
        Assert.Contains(schemaOnly[PhaseKind.Indexes].Entries, e => e.Name == "events_payload");
    }

    [Fact]
    public async Task Four_separate_invocations_give_the_same_target_as_one()
    {
        var target = _f.NewTargetName("sep");
        foreach (var phase in new[] { 1, 2, 3, 4 })
        {
            var results = await RestoreAsync(target, phases: [phase]);
            AssertSucceeded(results);
            Assert.Equal([phase], results.Select(r => r.Phase));
        }
        AssertSameAsSource(target);
    }

    private const string Kept = "SELECT count(*) FROM app.audit_log WHERE what = 'written by hand'";

    /// <summary>Phases 1 and 2 restored, then a row written into a table phase 3 loads, as an operator might.</summary>
    private async Task SchemaWithARowWrittenByHandAsync(string target)
    {
        AssertSucceeded(await RestoreAsync(target, phases: [1, 2]));
        _f.Cluster.Execute(target, "INSERT INTO app.audit_log (what) VALUES ('written by hand')");
    }

    /// <summary>Refused as rows the restore may not empty, naming the table and why, with the row written by hand still there.</summary>
    private void AssertRefusedKeepingTheRow(PgPhaseException refused, string target, string table, string why)
    {
        Assert.Equal(PgPhaseErrorCode.TablesHoldRows, refused.Code);
        Assert.Contains(table, refused.Message);
        Assert.Contains(why, refused.Message);
        Assert.Equal(1L, _f.Cluster.Scalar<long>(target, Kept));
    }

    /// <summary>Forced, the resume empties the table, row and all, and the rest of the restore gives the source.</summary>
    private async Task ForcedResumeGivesTheSourceAsync(string target)
    {
        AssertSucceeded(await RestoreAsync(target, phases: [3], resume: true, force: true));
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, Kept));
        AssertSucceeded(await RestoreAsync(target, phases: [4], resume: true));
        AssertSameAsSource(target);
    }

    /// <summary>
    /// Rows in a table that no run in the journal started loading (phase 3 never ran) are not a restore's: run on its
    /// own or resumed, phase 3 refuses to empty them and names the table; forced, it empties them and loads the
    /// archive's rows. A resume empties only what an interrupted run of the phase left (see the next test).
    /// </summary>
    [Fact]
    public async Task Rows_no_run_of_the_data_phase_loaded_are_emptied_only_when_forced()
    {
        var target = _f.NewTargetName("others");
        await SchemaWithARowWrittenByHandAsync(target);

        foreach (var resume in new[] { false, true })
        {
            var refused = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(target, phases: [3], resume: resume));
            AssertRefusedKeepingTheRow(refused, target, "(app.audit_log)", "no run recorded in the journal");
        }

        await ForcedResumeGivesTheSourceAsync(target);
    }

    /// <summary>
    /// Loaded beside rows already there (a non-empty target allowed), then stopped: the resume cannot tell the earlier
    /// rows from the ones the stopped run left, so it empties nothing and says so; forced, it empties and reloads.
    /// </summary>
    [Fact]
    public async Task Rows_loaded_beside_are_never_emptied_by_a_resume()
    {
        var target = _f.NewTargetName("beside");
        await SchemaWithARowWrittenByHandAsync(target);
        // The table's load waits on a lock the test holds (SHARE: its rows can be read, not written), and the run is
        // stopped there: the other tables committed, this one did not.
        using var stop = new CancellationTokenSource();
        var hold = new Npgsql.NpgsqlConnection(_f.Cluster.ConnectionString(target));
        hold.Open();
        using (var begin = new Npgsql.NpgsqlCommand("BEGIN; LOCK TABLE app.audit_log IN SHARE MODE", hold))
            begin.ExecuteNonQuery();
        var progress = new SyncProgress(p =>
        {
            if (p.Phase == 3 && p.Activity.Contains("app.audit_log", StringComparison.Ordinal))
                stop.CancelAfter(300);
        });
        try
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RestoreAsync(target, phases: [3], allowNonEmpty: true, ct: stop.Token, progress: progress));
            // The stop ended the session that waited on the lock: nothing of this run is left to load the table once it is free.
            Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pgphase phase %'"));
        }
        finally
        {
            hold.Dispose();
        }
        var journal = RestoreJournal.Load(_f.Options(target).JournalPath!);
        Assert.True(journal.IsInterrupted(3));
        var auditLog = (await _f.ReadArchiveAsync()).Entries.Single(e => e.Type == "TABLE DATA" && e.QualifiedName == "app.audit_log");
        Assert.Equal([auditLog.DumpId], journal.RowsBeforeLoad);
        Assert.False(journal.IsTableDone(auditLog.DumpId));

        var refused = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(target, phases: [3], resume: true));
        AssertRefusedKeepingTheRow(refused, target, "app.audit_log", "before it loaded beside them");

        await ForcedResumeGivesTheSourceAsync(target);
    }

    [Fact]
    public async Task Restore_killed_in_the_middle_of_phase_3_and_resumed_gives_an_identical_target()
    {
        var target = _f.NewTargetName("kill");
        using var cts = new CancellationTokenSource();
        // Kill pg_restore while it loads the big table, after other tables have finished.
        var progress = new SyncProgress(p =>
        {
            if (p.Phase == 3 && p.Activity.Contains("app.events", StringComparison.Ordinal) && p.ItemsDone > 3)
                cts.CancelAfter(300);
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RestoreAsync(target, ct: cts.Token, progress: progress));

        var journal = RestoreJournal.Load(_f.Options(target).JournalPath!);
        Assert.Equal([1, 2], journal.CompletedPhases);
        Assert.True(journal.IsInterrupted(3));
        Assert.NotEmpty(journal.CompletedTables);

        // Running the data phase again from the top is refused: it would duplicate rows.
        var refused = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(target));
        Assert.Contains("was interrupted", refused.Message);
        Assert.Equal(PgPhaseErrorCode.Interrupted, refused.Code);

        var resumed = await RestoreAsync(target, resume: true);
        AssertSucceeded(resumed);
        Assert.Equal([PhaseStatus.Skipped, PhaseStatus.Skipped, PhaseStatus.Succeeded, PhaseStatus.Succeeded], resumed.Select(r => r.Status));
        Assert.True(resumed[2].TablesLoaded < DatabaseContents.Fingerprint(_f.Cluster, _f.Source).Count(k => k.Key.StartsWith("r ")),
            "finished tables are not loaded again");
        AssertSameAsSource(target);
    }

    [Fact]
    public async Task Verification_finds_nothing_after_a_restore_and_names_each_difference_after_damage()
    {
        var target = _f.NewTargetName("ver");
        AssertSucceeded(await RestoreAsync(target));
        var archive = await _f.ReadArchiveAsync();
        var source = _f.Cluster.ConnectionTo(_f.Source);

        var clean = await RestoreVerifier.VerifyAsync(archive, _f.TargetAs(target), source, RowCountMode.Exact, default);
        Assert.True(clean.IsMatch, string.Join("; ", clean.Differences));
        Assert.True(clean.ObjectsChecked > 60, $"checked {clean.ObjectsChecked}");
        // Row security is forced on app.secret_doc and the restoring role cannot bypass it: said, not guessed.
        Assert.Equal(11, clean.TablesCounted);
        Assert.Equal(["app.secret_doc: rows not counted: row-level security is forced and the verifying role lacks BYPASSRLS"], clean.Notes);

        _f.Cluster.Execute(target, """
            DROP INDEX app.customer_name_trgm;
            ALTER TABLE app.booking DROP CONSTRAINT booking_no_overlap;
            DROP TRIGGER legacy_touch ON app.legacy;
            DROP POLICY only_alice ON app.secret_doc;
            ALTER TABLE app.legacy DROP CONSTRAINT legacy_qty_positive;
            """);
        _f.Cluster.Execute(target, "DELETE FROM app.events WHERE id <= 5");
        var damaged = await RestoreVerifier.VerifyAsync(archive, _f.TargetAs(target), source, RowCountMode.Exact, default);
        var found = damaged.Differences.Select(d => d.ToString()).Order().ToList();
        Assert.Equal(
        [
            "Missing CHECK CONSTRAINT app.legacy.legacy_qty_positive: expected present, found absent",
            "Missing CONSTRAINT app.booking.booking_no_overlap: expected present, found absent",
            "Missing INDEX app.customer_name_trgm: expected present, found absent",
            "Missing POLICY app.secret_doc.only_alice: expected present, found absent",
            "Missing TRIGGER app.legacy.legacy_touch: expected present, found absent",
            "RowCount TABLE app.events: expected 400000 rows, found 399995 rows",
        ], found);

        // A table gone from the target is a difference to report, counted rows or not, never a failure to verify.
        _f.Cluster.Execute(target, "ALTER TABLE app.legacy RENAME TO legacy_elsewhere");
        var renamed = await RestoreVerifier.VerifyAsync(archive, _f.TargetAs(target), source, RowCountMode.Exact, default);
        Assert.Contains("Missing TABLE app.legacy: expected present, found absent", renamed.Differences.Select(d => d.ToString()));
        Assert.DoesNotContain(renamed.Differences, d => d.Kind == DifferenceKind.RowCount && d.Name == "legacy");
        Assert.Equal(10, renamed.TablesCounted);
    }

    [Fact]
    public async Task As_the_owner_with_ownership_and_privileges_the_full_schema_dump_is_identical()
    {
        var target = _f.NewTargetName("own");
        var archive = await _f.ReadArchiveAsync();
        var plan = PhasePlanner.Plan(archive);
        var superuser = _f.Cluster.ConnectionTo(target);
        var results = await new PhaseRestorer(new RestoreOptions
        {
            Target = superuser, CreateDatabase = true, JournalPath = _f.Options(target).JournalPath,
        }).RunAsync(plan.Phases, default);
        AssertSucceeded(results);

        string Full(string db) => string.Join('\n', PgDump.SchemaOnly(_f.Cluster, db).Split('\n')
            .Where(l => !l.StartsWith("\\restrict ", StringComparison.Ordinal) && !l.StartsWith("\\unrestrict ", StringComparison.Ordinal)));
        Assert.Equal(Full(_f.Source), Full(target));
        Assert.Contains("ALTER DEFAULT PRIVILEGES", Full(target));
    }

    [Fact]
    public async Task A_failing_entry_is_named_in_the_phase_result()
    {
        var target = _f.NewTargetName("err");
        _f.Cluster.Execute("postgres", $"CREATE DATABASE {target} OWNER {_f.Restorer}");
        // An object the archive also creates: phase 1 fails on it, and rolls back as a whole.
        using (var conn = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(_f.Cluster.ConnectionString(target)) { Username = _f.Restorer, Password = _f.RestorerPassword }.ConnectionString))
        {
            conn.Open();
            using var cmd = new Npgsql.NpgsqlCommand("CREATE SCHEMA app", conn);
            cmd.ExecuteNonQuery();
        }
        var archive = await _f.ReadArchiveAsync();
        var options = new RestoreOptions
        {
            Target = _f.TargetAs(target), AllowNonEmptyTarget = true, NoOwner = true, NoPrivileges = true,
            JournalPath = _f.Options(target).JournalPath,
        };
        var results = await new PhaseRestorer(options).RunAsync(PhasePlanner.Plan(archive).Phases, default);

        Assert.Equal([PhaseStatus.Failed, PhaseStatus.NotRun, PhaseStatus.NotRun, PhaseStatus.NotRun], results.Select(r => r.Status));
        var error = Assert.Single(results[0].Errors);
        Assert.Equal(archive.Entries.Single(e => e.Type == "SCHEMA" && e.Name == "app").DumpId, error.DumpId);
        Assert.Equal("SCHEMA app postgres", error.Entry);
        Assert.Contains("schema \"app\" already exists", error.Message);
        // Single transaction: nothing of phase 1 is left behind.
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'app'"));
    }

    /// <summary>
    /// The data phase forced again after the post-data phase added foreign keys: emptying a referenced table would
    /// fail half way, and rows loaded again would be checked against tables still loading. Refused before anything
    /// is emptied, naming the keys; the target keeps every row.
    /// </summary>
    [Fact]
    public async Task The_data_phase_forced_under_foreign_keys_is_refused_before_any_table_is_emptied()
    {
        var target = _f.NewTargetName("fk");
        AssertSucceeded(await RestoreAsync(target));
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(target, phases: [3], force: true));
        Assert.Equal(PgPhaseErrorCode.Conflict, ex.Code);
        Assert.Contains("tables that foreign keys refer to: ", ex.Message);
        Assert.Matches(@"\S+ \(\S+, on \S+\)", ex.Message);
        Assert.Contains("nothing was emptied", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        AssertSameAsSource(target);
    }

    /// <summary>
    /// Phases 1, 2 and 4 (a schema without rows) of an Auto plan, handed over without the data phase as a pipeline
    /// filter does: the indexes Auto would build after their table's data are built first in phase 4, so the schema is whole.
    /// </summary>
    [Fact]
    public async Task A_schema_without_its_data_phase_under_Auto_has_every_index_the_data_phase_would_build()
    {
        var archive = await _f.ReadArchiveAsync();
        var plan = await ArchivePlanning.PlanAsync(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = 1L << 30 }, new S3Settings(), default);
        var late = plan.Phases.Single(p => p.Kind == PhaseKind.Data).LateBuilds;
        Assert.Contains(late, b => b.Entry.Type == "CONSTRAINT");
        var target = _f.NewTargetName("nodata");
        var logged = new List<string>();
        var options = _f.Options(target) with { CreateDatabase = true, NoOwner = true, NoPrivileges = true };
        var results = await new PhaseRestorer(options, null, logged.Add).RunAsync(plan.Phases.Where(p => p.Kind != PhaseKind.Data).ToList(), default);
        AssertSucceeded(results);
        Assert.Equal([1, 2, 4], results.Select(r => r.Phase));
        Assert.Contains(logged, l => l.StartsWith($"phase 3 Data does not run, so phase 4 PostData first builds the {Plural.Of(late.Count, "index")}", StringComparison.Ordinal));
        Assert.Equal(_f.Schema(_f.Source), _f.Schema(target));
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.customer"));

        // A schema without rows stays one: rows loaded now would go through its foreign keys and triggers.
        var resumed = await Assert.ThrowsAsync<PgPhaseException>(() => new PhaseRestorer(options with { Resume = true }, null, null).RunAsync(plan.Phases, default));
        Assert.Equal(PgPhaseErrorCode.SchemaWithoutRows, resumed.Code);
        Assert.Equal(PgPhaseErrorKind.Conflict, resumed.Kind);
        Assert.Contains("completed on \"" + target + "\"", resumed.Message);
        Assert.Contains("without phase 3 Data: it holds a schema without rows", resumed.Message);
        var data = await Assert.ThrowsAsync<PgPhaseException>(() => new PhaseRestorer(options with { Phases = [3] }, null, null).RunAsync(plan.Phases, default));
        Assert.Equal(PgPhaseErrorCode.SchemaWithoutRows, data.Code);
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.customer"));
    }

    /// <summary>Phase 4 after a data phase that started and did not finish: refused, unless forced, before anything runs.</summary>
    [Fact]
    public async Task Post_data_after_a_data_phase_that_did_not_finish_is_refused_unless_forced()
    {
        var target = _f.NewTargetName("halfdata");
        AssertSucceeded(await RestoreAsync(target, phases: [1, 2]));
        // As a data phase stopped half way leaves the journal.
        var journal = RestoreJournal.Load(_f.Options(target).JournalPath!);
        journal.StartPhase(3);
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(target, phases: [4]));
        Assert.Equal(PgPhaseErrorCode.DataUnfinished, ex.Code);
        Assert.Contains("phase 3 Data started on \"" + target + "\"", ex.Message);
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"));
        AssertSucceeded(await RestoreAsync(target, phases: [3, 4], resume: true));
        AssertSameAsSource(target);
    }

    /// <summary>Phase 4 without phase 2 into a new database: refused before anything is created, naming the indexes it needs.</summary>
    [Fact]
    public async Task Post_data_without_the_indexes_phase_is_refused_before_anything_is_created()
    {
        var target = _f.NewTargetName("noidx");
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(target, phases: [1, 4]));
        Assert.Equal(PgPhaseErrorCode.InvalidInput, ex.Code);
        Assert.StartsWith("phase 4 PostData adds what relies on phase 2 Indexes (foreign keys need the unique indexes it builds), and this run creates the tables and does not build them (", ex.Message);
        Assert.EndsWith("; nothing was created. Run phase 2 too, or every phase", ex.Message);
        Assert.Equal(0L, _f.Cluster.Scalar<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'"));

        // Phase 1 alone, then phase 4 alone: refused again, now from what the target holds, and nothing restored.
        AssertSucceeded(await RestoreAsync(target, phases: [1]));
        var later = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(target, phases: [4]));
        Assert.Contains($"and \"{target}\" does not hold them all: ", later.Message);
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"));
        AssertSucceeded(await RestoreAsync(target, phases: [2, 3, 4]));
        AssertSameAsSource(target);
    }

    /// <summary>A target name longer than the server keeps is refused before anything is created: never a restore into its first 63 bytes.</summary>
    [Fact]
    public async Task A_target_name_longer_than_the_server_keeps_is_refused()
    {
        var name = "long_" + Guid.NewGuid().ToString("N")[..8] + new string('y', 51);
        Assert.Equal(64, name.Length);
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(name));
        Assert.Equal(PgPhaseErrorCode.NameTooLong, ex.Code);
        Assert.Contains($"\"{name}\" is a name of 64 bytes", ex.Message);
        Assert.Equal(0L, _f.Cluster.Scalar<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{name[..63]}'"));
    }

    [Fact]
    public async Task Non_empty_target_is_refused()
    {
        var target = _f.NewTargetName("full");
        _f.Cluster.Execute("postgres", $"CREATE DATABASE {target} OWNER {_f.Restorer}");
        _f.Cluster.Execute(target, "CREATE TABLE leftover (id int)");
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(target));
        Assert.Equal($"target database \"{target}\" is not empty (1 relation); restore into an empty database, or allow a non-empty target explicitly", ex.Message);
    }

    [Fact]
    public async Task A_second_restore_into_the_same_target_fails_fast_and_names_the_holder()
    {
        var target = _f.NewTargetName("busy");
        _f.Cluster.Execute("postgres", $"CREATE DATABASE {target} OWNER {_f.Restorer}");
        using var holder = _f.Cluster.Open(target);
        using (var cmd = new Npgsql.NpgsqlCommand("SET application_name = 'nightly restore'; SELECT pg_advisory_lock(x'70677068'::int, 1)", holder))
            cmd.ExecuteNonQuery();
        var started = DateTime.UtcNow;
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(target));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
        Assert.Matches($"^target database \"{target}\" is already being restored \\(backend pid \\d+, user postgres, application \"nightly restore\"\\); one restore at a time per database$", ex.Message);
    }

    [Fact]
    public async Task The_password_never_reaches_a_child_process_command_line()
    {
        var target = _f.NewTargetName("pw");
        var seen = new List<string>();
        var progress = new SyncProgress(_ =>
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                try
                {
                    var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                    if (cmdline.Contains("pg_restore", StringComparison.Ordinal))
                    {
                        lock (seen)
                            seen.Add(cmdline);
                        var environ = File.ReadAllText(Path.Combine(dir, "environ"));
                        Assert.DoesNotContain(_f.RestorerPassword, environ);
                    }
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        });
        AssertSucceeded(await RestoreAsync(target, phases: [1], progress: progress));
        Assert.NotEmpty(seen);
        Assert.All(seen, c => Assert.DoesNotContain(_f.RestorerPassword, c));
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), PasswordFile.PatternFor(Environment.ProcessId)));
    }
}

/// <summary>IProgress that calls back synchronously on the reporting thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress(Action<RestoreProgress> onReport) : IProgress<RestoreProgress>
{
    public void Report(RestoreProgress value) => onReport(value);
}
