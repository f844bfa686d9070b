using System.Diagnostics;
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
    public Task<IReadOnlyList<PhaseResult>> RunAsync(IReadOnlyList<RestorePhase> phases, Action<PhaseResult>? phaseEnded, CancellationToken ct) =>
        PgPhaseErrors.AtBoundaryAsync(() => RunCoreAsync(phases, phaseEnded, ct));

    private async Task<IReadOnlyList<PhaseResult>> RunCoreAsync(IReadOnlyList<RestorePhase> phases, Action<PhaseResult>? phaseEnded, CancellationToken ct)
    {
        _options.Validate();
        var (archive, selected) = Select(phases);
        var target = _options.Target;
        if (string.IsNullOrEmpty(target.Database))
            throw PgPhaseException.NoDatabase(target, "target");
        var pgRestore = PgToolLocator.Find("pg_restore", PgToolLocator.PgRestoreMajorFor(archive.Version),
            $"archive {archive.Source} (archive version {archive.Version})", _options.PgRestorePath);
        Log($"using {pgRestore.VersionText} at {pgRestore.Path}");

        using var client = archive.LocationWith(_options.Storage).CreateClient();
        var feed = await ArchiveCheck.RunAsync(archive, selected.SelectMany(p => p.Entries), client, _options.Storage, _options.SkipChecks, _log, ct)
            .ConfigureAwait(false);

        // What would fail only once the target database exists is tried first: the journal's file, the sessions' settings and role, the owners.
        RestoreJournal.CheckWritable(_options.JournalPath ?? RestoreJournal.DefaultPath(target));
        await SessionCheck.RunAsync(_options, ct).ConfigureAwait(false);
        if (!_options.Resume)
            await OwnershipCheck.RunAsync(target, selected, _options, ct).ConfigureAwait(false);
        // Without the schema phase, the tables must be there already: a database created now has none.
        bool schemaLater = selected.Any(p => p.Kind == PhaseKind.Schema);
        // Phase 1 into an empty database: phase 2's indexes cannot be there for phase 4 unless this run builds them.
        if (schemaLater && !_options.Resume && !_options.AllowNonEmptyTarget && IndexesPostDataNeeds(phases, selected) is { } indexes)
            throw IndexesMissing(indexes, "this run creates the tables and does not build them", "nothing was created");
        if (!schemaLater && _options.CreateDatabase &&
            !await TargetDatabase.CheckAsync(target, create: true, ct).ConfigureAwait(false))
            throw new PgPhaseException($"target database \"{target.Database}\" does not exist, and phase {string.Join(", ", selected.Select(p => p.Number))} " +
                                       "works on the tables phase 1 creates: run phase 1 first (or every phase); nothing was created", PgPhaseErrorCode.InvalidInput);
        if (await TargetDatabase.EnsureExistsAsync(target, _options.CreateDatabase, ct).ConfigureAwait(false))
            Log($"created database \"{target.Database}\"");

        await using var guard = await RestoreLock.AcquireAsync(target, _options.AllowPooler, _options.LockCheckInterval, _log, ct).ConfigureAwait(false);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct, guard.LostToken);
        try
        {
            return await RunLockedAsync(archive, phases, selected, pgRestore, feed, phaseEnded, run.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (guard.IsLost && !ct.IsCancellationRequested && (ex is OperationCanceledException or NpgsqlException || ex is PgPhaseException p && PgPhaseErrors.IsConnect(p.Code)))
        {
            throw new PgPhaseException(guard.LossReason!, PgPhaseErrorCode.LockLost);
        }
    }

    private (DumpArchive Archive, List<RestorePhase> Selected) Select(IReadOnlyList<RestorePhase> phases)
    {
        if (phases.Count == 0)
            throw new PgPhaseException("no phases to run", PgPhaseErrorCode.InvalidInput);
        var archive = phases[0].Archive;
        if (phases.Any(p => !ReferenceEquals(p.Archive, archive) && p.Archive.Source != archive.Source))
            throw new PgPhaseException("the phases come from different archives; restore one archive at a time", PgPhaseErrorCode.InvalidInput);
        var wanted = _options.Phases.Count == 0 ? phases.Select(p => p.Number).ToHashSet() : _options.Phases.ToHashSet();
        var unknown = wanted.Where(n => phases.All(p => p.Number != n)).ToList();
        if (unknown.Count > 0)
            throw new PgPhaseException($"phase {string.Join(", ", unknown)} is not among the phases given ({string.Join(", ", phases.Select(p => p.Number))})", PgPhaseErrorCode.InvalidInput);
        return (archive, phases.Where(p => wanted.Contains(p.Number)).OrderBy(p => p.Number).ToList());
    }

    private async Task<IReadOnlyList<PhaseResult>> RunLockedAsync(DumpArchive archive, IReadOnlyList<RestorePhase> phases, List<RestorePhase> selected, PgTool pgRestore,
        BucketArchiveFeed? feed, Action<PhaseResult>? phaseEnded, CancellationToken ct)
    {
        var target = _options.Target;
        await using var conn = new NpgsqlConnection(target.ToNpgsqlConnectionString($"pgphase restore (pid {Environment.ProcessId})"));
        await target.OpenAsync(conn, ct).ConfigureAwait(false);
        await StaleSessions.SettleAsync(conn, target.Database!, _options.StopStaleSessions, _options.StaleSessionWait, _log, ct).ConfigureAwait(false);

        var journal = RestoreJournal.Load(_options.JournalPath ?? RestoreJournal.DefaultPath(target));
        journal.BindTo(await TargetIdentity.ReadAsync(conn, ct).ConfigureAwait(false), _log);
        await JournalPreparation.PrepareAsync(journal, archive, phases, selected, _options, conn, ct).ConfigureAwait(false);
        if (!selected.Any(p => p.Kind == PhaseKind.Schema) && selected.FirstOrDefault(p => p.Kind == PhaseKind.Data) is { } data)
            await RequireTablesAsync(data, conn, ct).ConfigureAwait(false);
        RefuseDataAroundPostData(selected, journal);
        await RequireIndexesAsync(phases, selected, journal, conn, ct).ConfigureAwait(false);
        selected = await WithLateBuildsBeforePostDataAsync(phases, selected, journal, conn, ct).ConfigureAwait(false);

        var workDir = _options.ListDirectory ?? ProcessScopedTemp.CreateDirectory("pgphase-lists-");
        var results = new List<PhaseResult>();
        try
        {
            bool failed = false;
            foreach (var phase in selected)
            {
                var result = failed
                    ? Result(phase, PhaseStatus.NotRun, default, TimeSpan.Zero, phase.EntryCount, [], "an earlier phase failed")
                    : await ReconcileAsync(phase, journal, conn, selected, ct).ConfigureAwait(false)
                      ?? await RunPhaseAsync(phase, pgRestore, journal, conn, workDir, feed, ct).ConfigureAwait(false);
                results.Add(result);
                phaseEnded?.Invoke(result);
                failed |= result.Status is not (PhaseStatus.Succeeded or PhaseStatus.Skipped) && _options.StopOnError;
            }
        }
        catch (OperationCanceledException)
        {
            // Before the restore lock is let go: no next run starts beside what this one left working.
            await StaleSessions.EndOwnAsync(target, _log).ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (_options.ListDirectory is null)
                Directory.Delete(workDir, recursive: true);
        }
        return results;
    }

    /// <summary>A data phase run without the schema phase: every table it loads must be there, or it is refused naming them.</summary>
    private async Task RequireTablesAsync(RestorePhase data, NpgsqlConnection conn, CancellationToken ct)
    {
        var tables = data.Entries.Where(e => e.Type == "TABLE DATA" && e.Name is not null).Select(e => SqlText.Qualified(e.Schema, e.Name!)).ToArray();
        if (tables.Length == 0)
            return;
        var missing = await DataTables.TextsAsync(conn, "SELECT t FROM unnest($1::text[]) t WHERE to_regclass(t) IS NULL", tables, ct).ConfigureAwait(false);
        if (missing.Count > 0)
            throw new PgPhaseException($"phase {data.Number} {data.Name} loads rows into tables that phase 1 creates, and {missing.Count} of them " +
                                       $"{(missing.Count == 1 ? "is" : "are")} not in \"{_options.Target.Database}\" ({NameList.Of(missing)}): " +
                                       "run phase 1 first (or every phase)", PgPhaseErrorCode.InvalidInput);
    }

    /// <summary>The phase of <paramref name="kind"/> among those given, else of the plan the selected ones came from.</summary>
    private static RestorePhase? PhaseOf(PhaseKind kind, IReadOnlyList<RestorePhase> phases, List<RestorePhase> selected) =>
        phases.FirstOrDefault(p => p.Kind == kind) ?? selected.SelectMany(p => p.PlanPhases).FirstOrDefault(p => p.Kind == kind);

    /// <summary>The indexes phase, when phase 4 runs without it: its foreign keys need the unique indexes it builds.</summary>
    private static RestorePhase? IndexesPostDataNeeds(IReadOnlyList<RestorePhase> phases, List<RestorePhase> selected) =>
        selected.Any(p => p.Kind == PhaseKind.PostData) && selected.All(p => p.Kind != PhaseKind.Indexes) &&
        PhaseOf(PhaseKind.Indexes, phases, selected) is { EntryCount: > 0 } indexes ? indexes : null;

    private PgPhaseException IndexesMissing(RestorePhase indexes, string why, string outcome) =>
        new($"phase 4 PostData adds what relies on phase {indexes.Number} {indexes.Name} (foreign keys need the unique indexes it builds), and {why} " +
            $"({NameList.Of(indexes.Entries)}); {outcome}", ". Run phase 2 too, or every phase", PgPhaseErrorCode.InvalidInput);

    /// <summary>
    /// Rows and post-data out of order, refused before anything runs: rows loaded after a schema without rows
    /// (phases 1, 2 and 4) would go through its foreign keys and triggers, and phase 4 after a data phase that did not
    /// finish would fix foreign keys and late indexes over half the rows.
    /// </summary>
    private void RefuseDataAroundPostData(List<RestorePhase> selected, RestoreJournal journal)
    {
        const int data = (int)PhaseKind.Data, post = (int)PhaseKind.PostData;
        // Forced, the data phase is the user's to run again (the journal forgot it already), through what is there.
        if (!_options.Force && selected.Any(p => p.Kind == PhaseKind.Data) && journal.CompletedPhases.Contains(post) && !journal.CompletedPhases.Contains(data) && !journal.IsStarted(data))
            throw new PgPhaseException($"phase {post} PostData completed on \"{_options.Target.Database}\" (journal {journal.Path}) without phase {data} Data: it holds a schema without rows, " +
                                       "and rows loaded now would go through its foreign keys and triggers", ". Restore into a new database, or force the data phase", PgPhaseErrorCode.SchemaWithoutRows);
        if (!_options.Force && selected.Any(p => p.Kind == PhaseKind.PostData) && selected.All(p => p.Kind != PhaseKind.Data) &&
            journal.IsStarted(data) && !journal.CompletedPhases.Contains(data))
            throw new PgPhaseException($"phase {data} Data started on \"{_options.Target.Database}\" (journal {journal.Path}) and did not complete: phase {post} PostData would " +
                                       "add its foreign keys and indexes over part of the rows", ". Resume the data phase first, or force phase 4 as it is", PgPhaseErrorCode.DataUnfinished);
    }

    /// <summary>Phase 4 without phase 2: refused before any phase runs unless phase 2's objects are in the target already.</summary>
    private async Task RequireIndexesAsync(IReadOnlyList<RestorePhase> phases, List<RestorePhase> selected, RestoreJournal journal, NpgsqlConnection conn, CancellationToken ct)
    {
        if (IndexesPostDataNeeds(phases, selected) is not { } indexes || journal.CompletedPhases.Contains(indexes.Number))
            return;
        var state = await PhaseReconciler.InspectAsync(conn, indexes.Entries, ct).ConfigureAwait(false);
        if (!state.Unknown && !state.Complete)
            throw IndexesMissing(indexes, $"\"{_options.Target.Database}\" does not hold them all: {state.Describe()}", "nothing was restored");
    }

    /// <summary>
    /// A run with phase 4 but not phase 3 (a schema without rows) would end without the indexes Auto builds after their
    /// table's data: phase 4 builds those first, on the tables as they are. Ones a run of phase 3 built are left alone.
    /// </summary>
    private async Task<List<RestorePhase>> WithLateBuildsBeforePostDataAsync(IReadOnlyList<RestorePhase> phases, List<RestorePhase> selected, RestoreJournal journal,
        NpgsqlConnection conn, CancellationToken ct)
    {
        if (selected.Any(p => p.Kind == PhaseKind.Data) || selected.FirstOrDefault(p => p.Kind == PhaseKind.PostData) is not { } post ||
            PhaseOf(PhaseKind.Data, phases, selected) is not { LateBuilds.Count: > 0 } data)
            return selected;
        await RecordCommittedLateBuildsAsync(data, journal, conn, ct).ConfigureAwait(false);
        var unbuilt = data.LateBuilds.Select(b => b.Entry).Where(e => !journal.IsTableDone(e.DumpId)).ToList();
        if (unbuilt.Count == 0)
            return selected;
        Log($"phase {data.Number} {data.Name} does not run, so phase {post.Number} {post.Name} first builds the {Plural.Of(unbuilt.Count, "index")} " +
            $"it would build after their table's data: {NameList.Of(unbuilt)}");
        var widened = post.WithEntriesFirst(unbuilt);
        return selected.Select(p => p == post ? widened : p).ToList();
    }

    /// <summary>
    /// On resume, what the target says of a phase: a skipped result when it is done, null when it must run, and a
    /// refusal when an all-or-nothing phase is half there.
    /// </summary>
    private async Task<PhaseResult?> ReconcileAsync(RestorePhase phase, RestoreJournal journal, NpgsqlConnection conn, IReadOnlyList<RestorePhase> selected,
        CancellationToken ct)
    {
        if (!_options.Resume)
            return null;
        bool recorded = journal.CompletedPhases.Contains(phase.Number);
        if (phase.Kind == PhaseKind.Data)
        {
            if (!recorded)
                return await DoneBeforePostDataAsync(phase, journal, conn, selected, ct).ConfigureAwait(false);
            // Completed by a run that selected fewer entries (a list file): skipping the phase would drop these tables' rows,
            // or these late indexes, in silence.
            await RecordCommittedLateBuildsAsync(phase, journal, conn, ct).ConfigureAwait(false);
            var unloaded = phase.Entries.Where(e => e.Type == "TABLE DATA" && !journal.IsTableDone(e.DumpId)).ToList();
            var unbuilt = phase.LateBuilds.Select(b => b.Entry).Where(e => !journal.IsTableDone(e.DumpId)).ToList();
            if (unloaded.Count == 0 && unbuilt.Count == 0)
                return Skipped(phase, "completed earlier (journal)");
            var left = string.Join(" or ", new[] { unloaded.Count > 0 ? $"load {Plural.Of(unloaded.Count, "table")}" : null, unbuilt.Count > 0 ? $"build {Plural.Of(unbuilt.Count, "index")}" : null }
                .OfType<string>());
            throw new PgPhaseException($"phase {phase.Number} {phase.Name} was completed on \"{_options.Target.Database}\" (journal {journal.Path}) by a run that did not {left} " +
                                       $"this restore selects ({NameList.Of([.. unloaded, .. unbuilt])}); resuming would skip them",
                                       ". Run them with a list of their own, forced, or restore into a new database", PgPhaseErrorCode.SelectionChanged);
        }

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
            ? "it runs as one transaction, so no restore leaves it half done: a run with an edited list left part of it out, or something else changed the database"
            : "it ran without a single transaction (continue on error), so an earlier run may have stopped half way";
        throw new PgPhaseException($"phase {phase.Number} {phase.Name} is half there in \"{_options.Target.Database}\": {state.Describe()}; {why}",
                                   ". Restore into a new database, or remove what is there and resume", PgPhaseErrorCode.PartialPhase);
    }

    /// <summary>
    /// A data phase the journal does not record (a resume on another machine, or with another journal folder) is done
    /// when objects of the post-data phase are in the target: that phase starts only once the data phase succeeded.
    /// Loading again would empty tables that foreign keys now guard, and send every row through triggers that
    /// were not there when they were first loaded.
    /// </summary>
    private async Task<PhaseResult?> DoneBeforePostDataAsync(RestorePhase data, RestoreJournal journal, NpgsqlConnection conn, IReadOnlyList<RestorePhase> selected,
        CancellationToken ct)
    {
        if (selected.FirstOrDefault(p => p.Kind == PhaseKind.PostData) is not { } post || journal.CompletedPhases.Contains(post.Number))
            return null;
        var state = await PhaseReconciler.InspectAsync(conn, post.Entries, ct).ConfigureAwait(false);
        if (state.Unknown || state.Present.Count == 0)
            return null;
        Log($"phase {data.Number} {data.Name} is not in the journal {journal.Path}, but {Plural.Of(state.Present.Count, "object")} of phase {post.Number} {post.Name}, " +
            $"which runs only after it, {(state.Present.Count == 1 ? "is" : "are")} in \"{_options.Target.Database}\": it completed earlier and is not run again");
        journal.StartPhase(data.Number);
        journal.CompleteTables(data.Entries.Where(e => e.Type == "TABLE DATA").Select(e => e.DumpId));
        journal.CompletePhase(data.Number);
        return Skipped(data, $"completed earlier (phase {post.Number}'s objects are in the target)");
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
                await File.WriteAllTextAsync(PhaseLoad.ListFile(workDir, phase), RestoreList.Format(phase.Archive, []), ct).ConfigureAwait(false);
            journal.CompletePhase(phase.Number);
            Report(phase, 0, 0, "nothing to do");
            return Result(phase, PhaseStatus.Succeeded, started, clock.Elapsed, 0, [], phase.EntryCount == 0 ? "no entries" : "all entries completed earlier");
        }

        var load = await PhaseLoad.PrepareAsync(phase, entries, _options, pgRestore, journal, workDir, feed, Report, _log, _debug, ct).ConfigureAwait(false);
        _meter = load.Meter;
        var loaded = await load.RunAsync(ct).ConfigureAwait(false);
        if (loaded.Errors is { } errors)
            return Result(phase, PhaseStatus.Failed, started, clock.Elapsed, entries.Count, errors, null, loaded.Tables);

        // Every table of a phase that succeeded has committed, whether or not its finish was seen in pg_restore's output.
        if (phase.Kind == PhaseKind.Data)
            journal.CompleteTables(entries.Where(e => e.Type == "TABLE DATA").Select(e => e.DumpId));
        journal.CompletePhase(phase.Number);
        Report(phase, entries.Count, entries.Count, "done");
        return Result(phase, PhaseStatus.Succeeded, started, clock.Elapsed, entries.Count, loaded.Warnings, null, loaded.Tables);
    }

    /// <summary>
    /// The data entries still to load. Resuming, tables the journal records as committed are skipped and every
    /// other table that holds rows is emptied: an interrupted run of the phase left them part loaded. Rows no run
    /// in the journal can have loaded (the phase never started) are not the restore's: they are emptied only when
    /// forced, and loaded beside when a non-empty target is allowed. Without resuming, the journal records no run of
    /// the phase (an interrupted or completed one is refused before this), so a table that already holds rows is
    /// refused as well (or, forced, emptied; or, allowed, loaded beside). Tables loaded beside earlier rows are
    /// journalled, so that no resume empties those rows.
    /// </summary>
    private async Task<List<TocEntry>> PrepareDataAsync(RestorePhase phase, RestoreJournal journal, NpgsqlConnection conn, CancellationToken ct)
    {
        var entries = phase.Entries.ToList();
        if (_options.Resume)
        {
            await RecordCommittedLateBuildsAsync(phase, journal, conn, ct).ConfigureAwait(false);
            var done = entries.Where(e => (e.Type == "TABLE DATA" || phase.LateBuilds.Any(b => b.Entry == e)) && journal.IsTableDone(e.DumpId)).ToList();
            entries = entries.Except(done).ToList();
            var partial = await DataTables.NonEmptyAsync(conn, entries, ct).ConfigureAwait(false);
            if (partial.Count > 0 && !journal.IsStarted(phase.Number))
            {
                // No run of the phase loaded these rows: emptied only when forced, loaded beside when allowed.
                if (_options.Force)
                    Log($"phase {phase.Number} resumes as forced: {Plural.Of(partial.Count, "table")} that held rows no run in the journal loaded {(partial.Count == 1 ? "was" : "were")} emptied first");
                else if (_options.AllowNonEmptyTarget)
                {
                    journal.RecordRowsBeforeLoad(partial.Select(e => e.DumpId));
                    partial = [];
                }
                else
                    throw NotLoadedByRestore(phase, partial, journal);
            }
            // Rows that were there before the phase loaded beside them (a non-empty target allowed): emptying loses them.
            else if (partial.Where(e => journal.HeldRowsBeforeLoad(e.DumpId)).ToList() is { Count: > 0 } before && !_options.Force)
                throw new PgPhaseException($"{Plural.Of(before.Count, "table")} phase {phase.Number} loads held rows in \"{_options.Target.Database}\" before it loaded beside them " +
                                           $"({NameList.Of(before)}; journal {journal.Path}), and the interrupted run may have left part of its rows there: emptying them would " +
                                           "lose the earlier rows, loading again would duplicate the others", ". Force to empty and load them (the earlier rows are lost), " +
                                           "or restore into a new database", PgPhaseErrorCode.TablesHoldRows);
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
            throw NotLoadedByRestore(phase, loaded, journal);
        else if (loaded.Count > 0)
            journal.RecordRowsBeforeLoad(loaded.Select(e => e.DumpId));
        return entries;
    }

    // A late index build that committed just before the run ended is in the catalog, not yet in the journal: recorded now.
    private static async Task RecordCommittedLateBuildsAsync(RestorePhase phase, RestoreJournal journal, NpgsqlConnection conn, CancellationToken ct)
    {
        var unrecorded = phase.LateBuilds.Select(b => b.Entry).Where(e => !journal.IsTableDone(e.DumpId)).ToList();
        if (unrecorded.Count == 0)
            return;
        foreach (var built in (await PhaseReconciler.InspectAsync(conn, unrecorded, ct).ConfigureAwait(false)).Present)
            journal.CompleteTable(built.DumpId);
    }

    // Rows in tables the data phase loads, though no run in the journal started the phase: someone else's, never emptied unasked.
    private PgPhaseException NotLoadedByRestore(RestorePhase phase, List<TocEntry> tables, RestoreJournal journal) =>
        new($"{Plural.Of(tables.Count, "table")} phase {phase.Number} loads already {(tables.Count == 1 ? "holds" : "hold")} rows in \"{_options.Target.Database}\" ({NameList.Of(tables)}), " +
            $"and no run recorded in the journal {journal.Path} started loading them: they are not a restore's to empty", ". Force to empty them and load the " +
            "archive's rows (the rows there now are lost), or restore into a new database", PgPhaseErrorCode.TablesHoldRows);


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
