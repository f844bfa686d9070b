using System.Diagnostics;
using System.Globalization;
using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Processes;
using PgPhaseRestore.Engine.Restore.DataLoad;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Runs the phases of a plan with pg_restore -L, one list file per phase, under a watched per-target lock,
/// recording progress in a journal bound to the target database and the archive, so that an interrupted restore
/// resumes at its first unfinished step.
/// </summary>
/// <remarks>
/// The target is the truth and the journal a hint. Phases 1, 2 and 4 run in a single transaction each; on resume
/// their objects are looked up in the catalog: all there, the phase is done; none, it runs; some, the restore
/// stops and names them. Phase 3 commits table by table; a table is recorded only after its rows committed, and
/// on resume every table not recorded is emptied first, so no row is ever loaded twice.
/// </remarks>
public sealed class PhaseRestorer
{
    private readonly RestoreOptions _options;
    private readonly IProgress<RestoreProgress>? _progress;
    private DataMeter? _meter;
    private readonly Action<string>? _log;
    private readonly Action<string>? _debug;

    /// <summary>A restore with these options.</summary>
    /// <param name="options">The target and how to restore into it.</param>
    /// <param name="progress">Per phase and per item, as the restore goes.</param>
    /// <param name="log">One line per step, for a verbose stream.</param>
    /// <param name="debug">pg_restore's own output and its command lines.</param>
    public PhaseRestorer(RestoreOptions options, IProgress<RestoreProgress>? progress = null, Action<string>? log = null, Action<string>? debug = null)
    {
        _options = options;
        _progress = progress;
        _log = log;
        _debug = debug;
    }

    /// <summary>
    /// Runs the chosen phases in order and returns one result per phase; a phase that fails stops the ones after it
    /// (unless errors do not stop the restore).
    /// </summary>
    public Task<IReadOnlyList<PhaseResult>> RunAsync(IReadOnlyList<RestorePhase> phases, CancellationToken ct) =>
        RunAsync(phases, null, ct);

    /// <summary>
    /// Runs the chosen phases in order and returns one result per phase, handing each result to
    /// <paramref name="phaseEnded"/> as soon as its phase ends, so a host can show it while the next phase runs.
    /// </summary>
    public async Task<IReadOnlyList<PhaseResult>> RunAsync(IReadOnlyList<RestorePhase> phases, Action<PhaseResult>? phaseEnded, CancellationToken ct)
    {
        _options.Validate();
        var (archive, selected) = Select(phases);
        var target = _options.Target;
        if (string.IsNullOrEmpty(target.Database))
            throw new ArgumentException("the target connection names no database (dbname)");
        var pgRestore = PgToolLocator.Find("pg_restore", PgToolLocator.PgRestoreMajorFor(archive.Version),
            $"archive {archive.Source} (archive version {archive.Version})", _options.PgRestorePath);
        Log($"using {pgRestore.VersionText} at {pgRestore.Path}");

        using var client = new ArchiveLocation(archive.Source, _options.Storage).CreateClient();
        var feed = await ArchiveCheck.RunAsync(archive, selected.SelectMany(p => p.Entries), client, _options.Storage, _options.SkipChecks, _log, ct)
            .ConfigureAwait(false);

        if (!_options.Resume)
            await OwnershipCheck.RunAsync(target, selected, _options, ct).ConfigureAwait(false);
        if (await TargetDatabase.EnsureExistsAsync(target, _options.CreateDatabase, ct).ConfigureAwait(false))
            Log($"created database \"{target.Database}\"");

        await using var guard = await RestoreLock.AcquireAsync(target, _options.AllowPooler, _options.LockCheckInterval, _log, ct).ConfigureAwait(false);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct, guard.LostToken);
        try
        {
            return await RunLockedAsync(archive, selected, pgRestore, feed, phaseEnded, run.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (guard.IsLost && !ct.IsCancellationRequested && ex is OperationCanceledException or NpgsqlException or PgConnectionException)
        {
            throw new RestoreException(guard.LossReason!, RestoreFailure.LockLost);
        }
    }

    private (DumpArchive Archive, List<RestorePhase> Selected) Select(IReadOnlyList<RestorePhase> phases)
    {
        if (phases.Count == 0)
            throw new ArgumentException("no phases to run");
        var archive = phases[0].Archive;
        if (phases.Any(p => !ReferenceEquals(p.Archive, archive) && p.Archive.Source != archive.Source))
            throw new ArgumentException("the phases come from different archives; restore one archive at a time");
        var wanted = _options.Phases.Count == 0 ? phases.Select(p => p.Number).ToHashSet() : _options.Phases.ToHashSet();
        var unknown = wanted.Where(n => phases.All(p => p.Number != n)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"phase {string.Join(", ", unknown)} is not among the phases given ({string.Join(", ", phases.Select(p => p.Number))})");
        return (archive, phases.Where(p => wanted.Contains(p.Number)).OrderBy(p => p.Number).ToList());
    }

    private async Task<IReadOnlyList<PhaseResult>> RunLockedAsync(DumpArchive archive, List<RestorePhase> selected, PgTool pgRestore,
        BucketArchiveFeed? feed, Action<PhaseResult>? phaseEnded, CancellationToken ct)
    {
        var target = _options.Target;
        await using var conn = new NpgsqlConnection(target.ToNpgsqlConnectionString($"pgphase restore (pid {Environment.ProcessId})"));
        await target.OpenAsync(conn, ct).ConfigureAwait(false);
        await StaleSessions.SettleAsync(conn, target.Database!, _options.StopStaleSessions, _options.StaleSessionWait, _log, ct).ConfigureAwait(false);

        var journal = RestoreJournal.Load(_options.JournalPath ?? RestoreJournal.DefaultPath(target));
        journal.BindTo(await TargetIdentity.ReadAsync(conn, ct).ConfigureAwait(false), _log);
        await JournalPreparation.PrepareAsync(journal, archive, selected, _options, conn, ct).ConfigureAwait(false);

        var workDir = _options.ListDirectory ?? ProcessScopedTemp.CreateDirectory("pgphase-lists-");
        var results = new List<PhaseResult>();
        try
        {
            bool failed = false;
            foreach (var phase in selected)
            {
                var result = failed
                    ? Result(phase, PhaseStatus.NotRun, default, TimeSpan.Zero, phase.EntryCount, [], "an earlier phase failed")
                    : await ReconcileAsync(phase, journal, conn, ct).ConfigureAwait(false)
                      ?? await RunPhaseAsync(phase, pgRestore, journal, conn, workDir, feed, ct).ConfigureAwait(false);
                results.Add(result);
                phaseEnded?.Invoke(result);
                failed |= result.Status is not (PhaseStatus.Succeeded or PhaseStatus.Skipped) && _options.StopOnError;
            }
        }
        finally
        {
            if (_options.ListDirectory is null)
                Directory.Delete(workDir, recursive: true);
        }
        return results;
    }

    /// <summary>
    /// On resume, what the target says of a phase: a skipped result when it is done, null when it must run, and a
    /// refusal when an all-or-nothing phase is half there.
    /// </summary>
    private async Task<PhaseResult?> ReconcileAsync(RestorePhase phase, RestoreJournal journal, NpgsqlConnection conn, CancellationToken ct)
    {
        if (!_options.Resume)
            return null;
        bool recorded = journal.CompletedPhases.Contains(phase.Number);
        if (phase.Kind == PhaseKind.Data)
            return recorded ? Skipped(phase, "completed earlier (journal)") : null;

        var state = await PhaseReconciler.InspectAsync(conn, phase.Entries, ct).ConfigureAwait(false);
        if (state.Unknown)
            return recorded ? Skipped(phase, "completed earlier (journal; nothing in it can be looked up in the catalog)") : null;
        if (state.Complete)
        {
            if (!recorded)
            {
                Log($"phase {phase.Number} {phase.Name} is complete in \"{_options.Target.Database}\" though the journal did not record it (the run ended after pg_restore committed): not run again");
                journal.StartPhase(phase.Number);
                journal.CompletePhase(phase.Number);
            }
            return Skipped(phase, $"complete in the target ({Plural.Of(state.Present.Count, "object")} checked)");
        }
        if (state.Absent)
        {
            if (recorded)
                Log($"the journal records phase {phase.Number} {phase.Name} as done, but none of its objects exist in \"{_options.Target.Database}\": it runs again");
            journal.ForgetPhase(phase.Number);
            return null;
        }
        var why = _options.StopOnError
            ? "it runs as one transaction, so pgphase does not leave it half done: something else changed the database"
            : "it ran without a single transaction (continue on error), so an earlier run may have stopped half way";
        throw new RestoreException($"phase {phase.Number} {phase.Name} is half there in \"{_options.Target.Database}\": {state.Describe()}; {why}. " +
                                   "Restore into a new database, or remove what is there and resume", RestoreFailure.PartialPhase);
    }

    private PhaseResult Skipped(RestorePhase phase, string note) =>
        Result(phase, PhaseStatus.Skipped, DateTimeOffset.UtcNow, TimeSpan.Zero, phase.EntryCount, [], note);

    private async Task<PhaseResult> RunPhaseAsync(RestorePhase phase, PgTool pgRestore, RestoreJournal journal, NpgsqlConnection conn, string workDir,
        BucketArchiveFeed? feed, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var entries = phase.Kind == PhaseKind.Data
            ? await PrepareDataAsync(phase, journal, conn, ct).ConfigureAwait(false)
            : phase.Entries.ToList();
        journal.StartPhase(phase.Number);
        if (entries.Count == 0)
        {
            // Kept lists are one per phase even when a phase has nothing left (Auto may move every index late).
            if (_options.ListDirectory is not null)
                await File.WriteAllTextAsync(PhaseListFile(workDir, phase), RestoreList.Format(phase.Archive, []), ct).ConfigureAwait(false);
            journal.CompletePhase(phase.Number);
            Report(phase, 0, 0, "nothing to do");
            return Result(phase, PhaseStatus.Succeeded, started, clock.Elapsed, 0, [], phase.EntryCount == 0 ? "no entries" : "all entries completed earlier");
        }

        // From a bucket whose manifest maps the data blocks, a local file written through a pipe (mapped by reading it
        // once) or a local tar archive, tables load side by side, each from its own data; otherwise one stream, or
        // pg_restore -j on a seekable file.
        var splitLoader = new SplitTableLoader(_options, pgRestore, _debug);
        var loader = phase.Kind != PhaseKind.Data || _options.Jobs < 2 ? null : await SideBySideLoaderAsync(phase, pgRestore, workDir, feed, splitLoader, ct).ConfigureAwait(false);
        bool streamed = feed is not null && loader is null;
        int jobs = loader is not null ? _options.Jobs : PgRestoreArguments.JobsFor(phase, _options, streamed);
        // Each entry's data as stored: what the meter counts and what decides which tables split.
        var sizes = phase.Kind == PhaseKind.Data ? loader?.Sizes ?? SplitTableChoice.DataSizes(phase.Archive) : null;
        _meter = sizes is null ? null : DataMeter.For(phase, entries, sizes, streamed);
        var lateIds = phase.LateBuilds.Select(b => b.Entry.DumpId).ToHashSet();
        var split = sizes is null ? [] : SplitTableChoice.Choose(phase.Archive, entries, _options, jobs, streamed, sizes);
        var rest = entries.Except(split).Where(e => !lateIds.Contains(e.DumpId)).ToList();
        await using var late = phase.LateBuilds.Count == 0 ? null
            : new LateIndexBuilds(phase.LateBuilds, phase.MemoryBudget ?? long.MaxValue, _options, pgRestore, phase.Archive, journal, workDir, feed, _log, _debug, ct);
        // Tables committed by an earlier run: their late builds can start at once.
        foreach (var b in phase.LateBuilds.Where(b => journal.IsTableDone(b.TableDataId!.Value)))
            late!.TableLoaded(b.TableDataId!.Value);
        void Committed(int dumpId)
        {
            _meter?.Committed(dumpId);
            late?.TableLoaded(dumpId);
        }
        Action<int> committed = Committed;

        var loaded = rest.Count == 0 ? new Loaded(null, 0, [])
            : loader is not null
                ? await LoadSideBySideAsync(phase, rest, entries.Count, journal, loader, jobs, committed, ct).ConfigureAwait(false)
                : await LoadWithPgRestoreAsync(phase, rest, entries.Count, pgRestore, journal, workDir, feed, jobs, committed, ct).ConfigureAwait(false);
        if (loaded.Errors is { } errors)
            return Result(phase, PhaseStatus.Failed, started, clock.Elapsed, entries.Count, errors, null, loaded.Tables);

        var (splitError, splitLoaded) = await LoadSplitAsync(phase, split, entries.Count, journal, workDir, jobs, splitLoader, loader, committed, ct).ConfigureAwait(false);
        int tablesLoaded = loaded.Tables + splitLoaded;
        if (splitError is null && late is not null)
            splitError = await FinishLateBuildsAsync(phase, late, entries.Count).ConfigureAwait(false);
        if (splitError is not null)
            return Result(phase, PhaseStatus.Failed, started, clock.Elapsed, entries.Count, [splitError], null, tablesLoaded);

        journal.CompletePhase(phase.Number);
        Report(phase, entries.Count, entries.Count, "done");
        return Result(phase, PhaseStatus.Succeeded, started, clock.Elapsed, entries.Count, loaded.Warnings, null, tablesLoaded);
    }

    /// <summary>What loading a phase's entries did: the errors when it failed (else null), tables committed, warnings.</summary>
    private sealed record Loaded(IReadOnlyList<RestoreError>? Errors, int Tables, IReadOnlyList<RestoreError> Warnings);

    /// <summary>The entries through one pg_restore (with -j for a seekable archive), from a file, a folder or one stream.</summary>
    private async Task<Loaded> LoadWithPgRestoreAsync(RestorePhase phase, List<TocEntry> rest, int phaseTotal, PgTool pgRestore, RestoreJournal journal,
        string workDir, BucketArchiveFeed? feed, int jobs, Action<int>? committed, CancellationToken ct)
    {
        var (run, tracker) = await RunPgRestoreAsync(phase, rest, phaseTotal, pgRestore, journal, workDir, feed, jobs, committed, ct).ConfigureAwait(false);
        if (run.ExitCode == 0 && feed?.IntegrityProblem is { } damaged && phase.Kind == PhaseKind.Data)
        {
            // The rows came from bytes that do not match the backup: a resume must load them again.
            journal.ForgetTables(tracker.Recorded);
            return new Loaded([new RestoreError(null, null, damaged)], 0, []);
        }
        if (run.ExitCode != 0)
        {
            var errors = tracker.Errors.Count > 0 ? tracker.Errors
                : [new RestoreError(null, null, $"pg_restore exited with code {run.ExitCode}: {string.Join(" | ", run.ErrorLines.TakeLast(5))}")];
            return new Loaded(errors, tracker.TablesLoaded, []);
        }
        tracker.Succeeded();
        foreach (var e in rest)
            _meter?.Committed(e.DumpId);
        return new Loaded(null, tracker.TablesLoaded, tracker.Errors);
    }

    /// <summary>What loads a data phase's tables side by side, or null when its archive is read by pg_restore alone.</summary>
    private async Task<IDataItemLoader?> SideBySideLoaderAsync(RestorePhase phase, PgTool pgRestore, string workDir, BucketArchiveFeed? feed,
        SplitTableLoader splitLoader, CancellationToken ct)
    {
        var pgRestoreItems = new DataItemPgRestore(phase, _options, pgRestore, workDir, _log, _debug);
        var blocks = feed is not null ? feed.Blocks : await LocalBlockMap.MapAsync(phase.Archive, _log, ct).ConfigureAwait(false);
        if (blocks is not null)
            return new BlockFedLoader(blocks, phase.Archive, workDir, pgRestoreItems);
        return feed is null ? await TarMemberLoader.TryCreateAsync(phase.Archive, splitLoader, pgRestoreItems, _log, ct).ConfigureAwait(false) : null;
    }

    /// <summary>The entries loaded side by side, each table from its own data, several at once.</summary>
    private async Task<Loaded> LoadSideBySideAsync(RestorePhase phase, List<TocEntry> rest, int phaseTotal, RestoreJournal journal, IDataItemLoader loader,
        int jobs, Action<int>? committed, CancellationToken ct)
    {
        var loads = new ParallelDataLoads(phase, _options, journal, loader, (done, activity) => Report(phase, done, phaseTotal, activity), _log, committed);
        var outcome = await loads.RunAsync(rest, jobs, ct).ConfigureAwait(false);
        return new Loaded(outcome.Errors.Count > 0 ? outcome.Errors : null, outcome.TablesLoaded, []);
    }

    /// <summary>
    /// The biggest tables last, each over every session: the long pole of the phase, split. Returns the first
    /// failure (naming its table) and the tables loaded.
    /// </summary>
    private async Task<(RestoreError? Error, int Loaded)> LoadSplitAsync(RestorePhase phase, List<TocEntry> split, int phaseTotal, RestoreJournal journal,
        string workDir, int jobs, SplitTableLoader splitLoader, IDataItemLoader? loader, Action<int>? committed, CancellationToken ct)
    {
        for (int i = 0; i < split.Count; i++)
        {
            var (table, index) = (split[i], i);
            var tableClock = Stopwatch.StartNew();
            Log($"loading {table.QualifiedName} over {Plural.Of(jobs, "session")}");
            if (loader is not null)
                _debug?.Invoke($"{table.QualifiedName} for {jobs} sessions: {loader.Describe(table)}");
            try
            {
                Action<SplitTableLoader.Progress> progress = p => Report(phase, phaseTotal - split.Count + index, phaseTotal,
                    string.Create(CultureInfo.InvariantCulture, $"loading table {table.QualifiedName} over {Plural.Of(jobs, "session")}: {p.Rows:N0} {Plural.Noun(p.Rows, "row")}, {SizeText.Format(p.Bytes)} at {SizeText.Format((long)(p.Bytes / Math.Max(0.001, tableClock.Elapsed.TotalSeconds)))}/s"));
                long rows = loader is not null
                    ? await loader.LoadSplitAsync(splitLoader, table, jobs, progress, ct).ConfigureAwait(false)
                    : await splitLoader.LoadAsync(table, phase.Archive, jobs, workDir, progress, ct).ConfigureAwait(false);
                Log(string.Create(CultureInfo.InvariantCulture, $"loaded {table.QualifiedName}: {rows:N0} {Plural.Noun(rows, "row")} over {Plural.Of(jobs, "session")} in {tableClock.Elapsed.TotalSeconds:F1} s"));
            }
            catch (Exception ex) when (ex is RestoreException or NpgsqlException or PgConnectionException or ArchiveSourceException
                                           or IOException or UnauthorizedAccessException)
            {
                return (new RestoreError(table.DumpId, $"TABLE DATA {table.QualifiedName}", ex.Message), i);
            }
            journal.CompleteTable(table.DumpId);
            committed?.Invoke(table.DumpId);
        }
        return (null, split.Count);
    }

    /// <summary>Every table of the phase has committed: the late builds still waiting start, and are waited for.</summary>
    private async Task<RestoreError?> FinishLateBuildsAsync(RestorePhase phase, LateIndexBuilds late, int phaseTotal)
    {
        // Whether or not a table's finish was seen in pg_restore's output, every table has committed by now.
        late.AllTablesLoaded();
        if (late.Pending > 0)
            Report(phase, phaseTotal - late.Pending, phaseTotal, $"waiting for {Plural.Of(late.Pending, "index build")} after the data");
        try
        {
            await late.WhenDoneAsync().ConfigureAwait(false);
            return null;
        }
        catch (RestoreException ex)
        {
            return new RestoreError(null, null, ex.Message);
        }
    }

    private static string PhaseListFile(string workDir, RestorePhase phase) => Path.Combine(workDir, phase.ListFileName);

    /// <summary>One pg_restore over some of a phase's entries, its stderr followed by a tracker that journals committed tables.</summary>
    private async Task<(ToolResult Run, PhaseOutputTracker Tracker)> RunPgRestoreAsync(RestorePhase phase, List<TocEntry> entries, int phaseTotal,
        PgTool pgRestore, RestoreJournal journal, string workDir, BucketArchiveFeed? feed, int jobs, Action<int>? committed, CancellationToken ct)
    {
        var listFile = PhaseListFile(workDir, phase);
        await File.WriteAllTextAsync(listFile, RestoreList.Format(phase.Archive, entries), ct).ConfigureAwait(false);
        bool streamed = feed is not null;
        if (streamed && phase.Kind == PhaseKind.Data)
        {
            var note = $"phase {phase.Number} streams {phase.Archive.Source} through one pg_restore: {(_options.Jobs > 1 ? feed!.SerialReason : "one job")}";
            if (_options.Jobs > 1)
                Log(note);
            else
                _debug?.Invoke(note);
        }
        var args = PgRestoreArguments.Build(phase, _options, listFile, jobs, streamed);
        var tracker = new PhaseOutputTracker(phase, entries, journal, jobs > 1, (done, _, activity) => Report(phase, done, phaseTotal, activity), _log, committed);

        // From a bucket, pg_restore reads standard input: the TOC alone for phases without data, the whole object for data.
        Func<Stream, CancellationToken, Task>? feedInput = feed is null ? null
            : phase.Kind == PhaseKind.Data || !feed.TocSuffices
                ? (stdin, token) => feed.WriteAllAsync(stdin, (done, total, rate) =>
                {
                    _meter?.Streamed(done, total);
                    Report(phase, 0, phaseTotal, $"streamed {SizeText.Format(done)} of {SizeText.Format(total)} at {SizeText.Format((long)rate)}/s");
                }, token)
                : feed.WriteTocAsync;
        var env = PgRestoreArguments.Environment(_options, phase.Number);

        Report(phase, 0, phaseTotal, $"starting pg_restore with {Plural.Of(entries.Count, "entry")}");
        _debug?.Invoke(ToolProcess.Display("pg_restore", args) + (feedInput is null ? "" : " < " + phase.Archive.Source));
        try
        {
            var run = await ToolProcess.RunAsync(pgRestore, args, _options.Target, line => { _debug?.Invoke(line); tracker.OnLine(line); }, ct, env, feedInput).ConfigureAwait(false);
            return (run, tracker);
        }
        catch (OperationCanceledException)
        {
            Log($"phase {phase.Number} stopped: pg_restore was ended; the journal keeps the tables that committed");
            throw;
        }
    }

    /// <summary>
    /// The data entries still to load. Resuming, tables the journal records as committed are skipped and every
    /// other table that holds rows is emptied; otherwise a table that already holds rows is refused (or, forced,
    /// emptied), since loading into it would duplicate them.
    /// </summary>
    private async Task<List<TocEntry>> PrepareDataAsync(RestorePhase phase, RestoreJournal journal, NpgsqlConnection conn, CancellationToken ct)
    {
        var entries = phase.Entries.ToList();
        if (_options.Resume)
        {
            // A late index build that committed just before the run ended is in the catalog, not yet in the journal.
            var lateUnrecorded = phase.LateBuilds.Select(b => b.Entry).Where(e => !journal.IsTableDone(e.DumpId)).ToList();
            foreach (var built in (await PhaseReconciler.InspectAsync(conn, lateUnrecorded, ct).ConfigureAwait(false)).Present)
                journal.CompleteTable(built.DumpId);
            var done = entries.Where(e => (e.Type == "TABLE DATA" || phase.LateBuilds.Any(b => b.Entry == e)) && journal.IsTableDone(e.DumpId)).ToList();
            entries = entries.Except(done).ToList();
            var partial = await DataTables.NonEmptyAsync(conn, entries, ct).ConfigureAwait(false);
            await DataTables.TruncateAsync(conn, partial, ct).ConfigureAwait(false);
            if (done.Count > 0 || partial.Count > 0)
                Log($"phase {phase.Number} resumes: {Plural.Of(done.Count, "table")} committed earlier {(done.Count == 1 ? "is" : "are")} skipped, {partial.Count} partly loaded {(partial.Count == 1 ? "is" : "are")} emptied, " +
                    $"{entries.Count(e => e.Type == "TABLE DATA")} load now");
            return entries;
        }
        var loaded = await DataTables.NonEmptyAsync(conn, entries, ct).ConfigureAwait(false);
        if (loaded.Count > 0 && _options.Force)
        {
            await DataTables.TruncateAsync(conn, loaded, ct).ConfigureAwait(false);
            Log($"phase {phase.Number} runs again as forced: {Plural.Of(loaded.Count, "table")} that held rows {(loaded.Count == 1 ? "was" : "were")} emptied first");
        }
        else if (loaded.Count > 0 && !_options.AllowNonEmptyTarget)
            throw new RestoreException($"{loaded.Count} of the tables phase {phase.Number} loads already hold rows in \"{_options.Target.Database}\" " +
                                       $"({string.Join(", ", loaded.Take(5).Select(e => e.QualifiedName))}{(loaded.Count > 5 ? ", ..." : "")}); loading them again would duplicate rows: resume, or force to empty and reload them",
                                       RestoreFailure.TablesHoldRows);
        return entries;
    }

    private PhaseResult Result(RestorePhase phase, PhaseStatus status, DateTimeOffset started, TimeSpan duration, int entries,
        IReadOnlyList<RestoreError> errors, string? note, int tablesLoaded = 0) => new()
    {
        Phase = phase.Number,
        Name = phase.Name,
        Status = status,
        Target = _options.Target.ToString(),
        Source = phase.Source,
        StartedAt = started,
        Duration = duration,
        Entries = entries,
        TablesLoaded = tablesLoaded,
        Errors = errors,
        Note = note,
    };

    private void Report(RestorePhase phase, int done, int total, string activity) =>
        _progress?.Report(new RestoreProgress(phase.Number, phase.Name, Math.Clamp(done, 0, Math.Max(total, 0)), total, activity) // never "11/10"
        {
            Data = phase.Kind == PhaseKind.Data ? _meter?.Snapshot() : null,
        });

    private void Log(string message) => _log?.Invoke(message);
}
