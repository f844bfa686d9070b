using System.Diagnostics;
using System.Globalization;
using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Processes;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Loads one phase's entries once the phase is known to run: a data phase's tables side by side when its archive
/// lets each table be read on its own, else through one pg_restore; then the biggest tables split over every session,
/// then the index builds that wait for their tables. A phase without data goes through one pg_restore.
/// </summary>
internal sealed class PhaseLoad
{
    private readonly RestorePhase _phase;
    private readonly List<TocEntry> _entries;
    private readonly RestoreOptions _options;
    private readonly PgTool _pgRestore;
    private readonly RestoreJournal _journal;
    private readonly string _workDir;
    private readonly BucketArchiveFeed? _feed;
    private readonly Action<RestorePhase, int, int, string> _report;
    private readonly Action<string>? _log;
    private readonly Action<string>? _debug;
    private readonly SplitTableLoader _splitLoader;
    private IDataItemLoader? _loader;
    private int _jobs;
    private List<(TocEntry Table, int Sessions)> _split = [];
    private readonly SortConfirmations? _confirmations;
    private List<TocEntry> _rest = [];
    private HashSet<int> _oneSession = [];
    private DataMeter? _meter;

    private PhaseLoad(RestorePhase phase, List<TocEntry> entries, RestoreOptions options, PgTool pgRestore, RestoreJournal journal, string workDir,
        BucketArchiveFeed? feed, Action<RestorePhase, int, int, string> report, Action<string>? log, Action<string>? debug)
    {
        (_phase, _entries, _options, _pgRestore, _journal, _workDir, _feed) = (phase, entries, options, pgRestore, journal, workDir, feed);
        (_report, _log, _debug) = (report, log, debug);
        _confirmations = phase.Kind == PhaseKind.Data ? SortConfirmations.For(phase, journal, options, pgRestore, workDir, feed, log, debug) : null;
        _splitLoader = new SplitTableLoader(options, pgRestore, debug) { Confirmations = _confirmations };
    }

    /// <summary>What counts the phase's data as it loads; null for a phase without data.</summary>
    public DataMeter? Meter => _meter;

    /// <summary>What loading a phase's entries did: the errors when it failed (else null), tables committed, warnings.</summary>
    internal sealed record Loaded(IReadOnlyList<RestoreError>? Errors, int Tables, IReadOnlyList<RestoreError> Warnings);

    /// <summary>
    /// Chooses how <paramref name="entries"/> load and which tables split; <paramref name="report"/> gets the phase,
    /// the entries done, the phase's total and what happens.
    /// </summary>
    public static async Task<PhaseLoad> PrepareAsync(RestorePhase phase, List<TocEntry> entries, RestoreOptions options, PgTool pgRestore,
        RestoreJournal journal, string workDir, BucketArchiveFeed? feed, Action<RestorePhase, int, int, string> report,
        Action<string>? log, Action<string>? debug, CancellationToken ct)
    {
        var load = new PhaseLoad(phase, entries, options, pgRestore, journal, workDir, feed, report, log, debug);
        // From a bucket whose manifest maps the data blocks, a local file written through a pipe (mapped by reading it
        // once) or a local tar archive, tables load side by side, each from its own data; otherwise one stream, or
        // pg_restore -j on a seekable file.
        var loader = phase.Kind != PhaseKind.Data || options.Jobs < 2 ? null
            : await load.SideBySideLoaderAsync(phase, pgRestore, workDir, feed, load._splitLoader, ct).ConfigureAwait(false);
        bool streamed = feed is not null && loader is null;
        int jobs = loader is not null ? options.Jobs : PgRestoreArguments.JobsFor(phase, options, streamed);
        // Each entry's data as stored: what the meter counts and what decides which tables split.
        var sizes = phase.Kind == PhaseKind.Data ? loader?.Sizes ?? SplitTableChoice.DataSizes(phase.Archive) : null;
        var lateIds = phase.LateBuilds.Select(b => b.Entry.DumpId).ToHashSet();
        var split = sizes is null ? [] : SplitTableChoice.Choose(phase.Archive, entries, options, jobs, streamed, sizes, phase.LateBuilds);
        load._loader = loader;
        load._jobs = jobs;
        load._meter = sizes is null ? null : DataMeter.For(phase, entries, sizes, streamed);
        load._split = split.Select(t => (t, jobs)).ToList();
        load._rest = entries.Except(split).Where(e => !lateIds.Contains(e.DumpId)).ToList();
        bool sessionsBeside = sizes is not null && (loader is not null || jobs >= 2 && ArchiveFileLoader.Reads(phase.Archive));
        load._oneSession = !sessionsBeside || loader is TarMemberLoader ? [] : OneSessionTables(phase, load._rest, sizes!);
        // A table whose rows are measured as they load goes through a session of this process: beside the others
        // where tables load side by side, else on its own after them.
        var measured = load._confirmations?.Tables.Where(id => load._rest.Any(e => e.DumpId == id)).ToHashSet() ?? [];
        if (sessionsBeside)
            load._oneSession.UnionWith(measured);
        else
        {
            load._split.AddRange(load._rest.Where(e => measured.Contains(e.DumpId)).Select(e => (e, 1)));
            load._rest.RemoveAll(e => measured.Contains(e.DumpId));
        }
        // pg_restore -j would load every table itself: the tables go side by side instead, some through a session here.
        if (loader is null && load._oneSession.Count > 0)
            load._loader = new ArchiveFileLoader(phase.Archive, workDir, new DataItemPgRestore(phase, options, pgRestore, workDir, log, debug));
        return load;
    }

    /// <summary>
    /// The tables of a custom archive loaded bare (every index built after the rows) that go through one session of
    /// this process instead of straight from pg_restore, so they can be written frozen (<see cref="FrozenLoad"/>),
    /// which spares their late builds a rewrite of the heap. Small tables stay in pg_restore's shares of many.
    /// </summary>
    private static HashSet<int> OneSessionTables(RestorePhase phase, List<TocEntry> rest, IReadOnlyDictionary<int, long> sizes)
    {
        if (!ServerEncoding.IsUtf8(phase.Archive))
            return [];
        var bare = SplitTableChoice.BareWhileLoading(phase.Archive, phase.LateBuilds);
        return rest.Where(e => e.Type == "TABLE DATA" && e.CopyStatement is not null && bare.Contains(e.DumpId)
                               && sizes.GetValueOrDefault(e.DumpId) >= ParallelDataLoads.SmallTableBytes)
            .Select(e => e.DumpId).ToHashSet();
    }

    /// <summary>Loads the entries: all of them, or up to the first failure.</summary>
    public async Task<Loaded> RunAsync(CancellationToken ct)
    {
        var (phase, entries, journal, workDir, jobs) = (_phase, _entries, _journal, _workDir, _jobs);
        if (_confirmations is not null)
            await _confirmations.SizeLoadedTablesAsync(ct).ConfigureAwait(false);
        await using var late = phase.LateBuilds.Count == 0 ? null
            : new LateIndexBuilds(phase.LateBuilds, phase.MemoryBudget ?? long.MaxValue, _options, _pgRestore, phase.Archive, journal, workDir, _feed, _log, _debug, ct,
                _confirmations is null ? null : _confirmations.ShareOf, _split.Where(s => s.Sessions > 1).Select(s => s.Table.DumpId).ToHashSet());
        // Tables committed by an earlier run: their late builds can start at once.
        foreach (var b in phase.LateBuilds.Where(b => journal.IsTableDone(b.TableDataId!.Value)))
            late!.TableLoaded(b.TableDataId!.Value);
        void Committed(int dumpId)
        {
            _meter?.Committed(dumpId);
            late?.TableLoaded(dumpId);
        }
        Action<int> committed = Committed;

        var loaded = _rest.Count == 0 ? new Loaded(null, 0, [])
            : _loader is not null
                ? await LoadSideBySideAsync(phase, _rest, entries.Count, journal, _loader, jobs, committed, ct).ConfigureAwait(false)
                : await LoadWithPgRestoreAsync(phase, _rest, entries.Count, _pgRestore, journal, workDir, _feed, jobs, committed, ct).ConfigureAwait(false);
        // Going on after an error (StopOnError off), the tables loaded on their own still load, each failure named.
        if (loaded.Errors is not null && _options.StopOnError)
            return loaded;

        var (splitErrors, splitLoaded) = await LoadSplitAsync(phase, _split, entries.Count, journal, workDir, _splitLoader, _loader, committed, ct).ConfigureAwait(false);
        int tablesLoaded = loaded.Tables + splitLoaded;
        var errors = (loaded.Errors ?? []).Concat(splitErrors).ToList();
        if (errors.Count == 0 && late is not null && await FinishLateBuildsAsync(phase, late, entries.Count).ConfigureAwait(false) is { } buildError)
            errors.Add(buildError);
        return errors.Count > 0 ? new Loaded(errors, tablesLoaded, []) : new Loaded(null, tablesLoaded, loaded.Warnings);
    }

    /// <summary>Where a phase's list file is written.</summary>
    public static string ListFile(string workDir, RestorePhase phase) => Path.Combine(workDir, phase.ListFileName);

    /// <summary>The entries through one pg_restore (with -j for a seekable archive), from a file, a folder or one stream.</summary>
    private async Task<Loaded> LoadWithPgRestoreAsync(RestorePhase phase, List<TocEntry> rest, int phaseTotal, PgTool pgRestore, RestoreJournal journal,
        string workDir, BucketArchiveFeed? feed, int jobs, Action<int>? committed, CancellationToken ct)
    {
        ToolResult run;
        var tracker = new PhaseOutputTracker(phase, rest, journal, jobs > 1, (done, _, activity) => Report(phase, done, phaseTotal, activity), _log, committed);
        try
        {
            run = await RunPgRestoreAsync(phase, rest, phaseTotal, pgRestore, workDir, feed, jobs, tracker, ct).ConfigureAwait(false);
        }
        catch (PgPhaseException ex) when (feed?.DamagedEntry is { } damagedEntry && phase.Kind == PhaseKind.Data && rest.Any(e => e.DumpId == damagedEntry.DumpId))
        {
            // pg_restore was stopped inside the damaged block, before its end: none of its rows committed. The tables
            // before it did, and stay recorded.
            journal.ForgetTables([damagedEntry.DumpId]);
            return new Loaded([new RestoreError(damagedEntry.DumpId, $"{damagedEntry.Type} {damagedEntry.QualifiedName}", ex.Message) { Code = ex.Code }],
                tracker.Recorded.Count(id => id != damagedEntry.DumpId), []);
        }
        if (run.ExitCode == 0 && feed?.IntegrityProblem is { } damaged && phase.Kind == PhaseKind.Data)
        {
            // The rows came from bytes that do not match the backup: a resume must load them again.
            journal.ForgetTables(tracker.Recorded);
            return new Loaded([new RestoreError(null, null, damaged) { Code = PgPhaseErrorCode.DamagedArchive }], 0, []);
        }
        if (run.ExitCode != 0)
        {
            var errors = tracker.Errors.Count > 0 ? tracker.Errors
                : [new RestoreError(null, null, $"pg_restore exited with code {run.ExitCode}: {string.Join(" | ", run.ErrorLines.TakeLast(5))}")
                    { Code = PgRestoreOutput.CodeOf(run.ErrorLines) }];
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
        var loads = new ParallelDataLoads(phase, _options, journal, loader, (done, activity) => Report(phase, done, phaseTotal, activity), _log, committed,
            _oneSession, _splitLoader, _debug);
        var outcome = await loads.RunAsync(rest, jobs, ct).ConfigureAwait(false);
        return new Loaded(outcome.Errors.Count > 0 ? outcome.Errors : null, outcome.TablesLoaded, []);
    }

    /// <summary>
    /// The tables loaded on their own, after the others: the biggest, each split over every session (the long pole of
    /// the phase), and those measured as they load where tables do not load side by side. Returns the failures (the
    /// first, unless StopOnError is off), each naming its table, and the tables loaded.
    /// </summary>
    private async Task<(List<RestoreError> Errors, int Loaded)> LoadSplitAsync(RestorePhase phase, List<(TocEntry Table, int Sessions)> split, int phaseTotal,
        RestoreJournal journal, string workDir, SplitTableLoader splitLoader, IDataItemLoader? loader, Action<int>? committed, CancellationToken ct)
    {
        var errors = new List<RestoreError>();
        int loaded = 0;
        for (int i = 0; i < split.Count; i++)
        {
            var ((table, jobs), index) = (split[i], i);
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
            catch (Exception ex) when (SplitTableLoader.IsLoadFailure(ex))
            {
                errors.Add(new RestoreError(table.DumpId, $"TABLE DATA {table.QualifiedName}", ex.Message) { Code = PgPhaseErrors.CodeOf(ex) ?? PgPhaseErrorCode.RestoreFailed });
                if (_options.StopOnError)
                    break;
                continue;
            }
            journal.CompleteTable(table.DumpId);
            committed?.Invoke(table.DumpId);
            loaded++;
        }
        return (errors, loaded);
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
        catch (PgPhaseException ex) when (PgPhaseErrors.IsRestore(ex.Code))
        {
            return new RestoreError(null, null, ex.Message) { Code = ex.Code };
        }
    }

    /// <summary>One pg_restore over some of a phase's entries, its stderr followed by a tracker that journals committed tables.</summary>
    private async Task<ToolResult> RunPgRestoreAsync(RestorePhase phase, List<TocEntry> entries, int phaseTotal,
        PgTool pgRestore, string workDir, BucketArchiveFeed? feed, int jobs, PhaseOutputTracker tracker, CancellationToken ct)
    {
        var listFile = ListFile(workDir, phase);
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

        // From a bucket, pg_restore reads standard input: the TOC alone for phases without data, the whole object for data.
        Func<Stream, CancellationToken, Task>? feedInput = feed is null ? null
            : phase.Kind == PhaseKind.Data || !feed.TocSuffices
                ? (stdin, token) => feed.WriteAllAsync(stdin, (done, total, rate) =>
                {
                    _meter?.Streamed(done, total);
                    Report(phase, 0, phaseTotal, $"streamed {SizeText.Format(done)} of {SizeText.Format(total)} at {SizeText.Format((long)rate)}/s");
                }, token, phase.Kind == PhaseKind.Data ? entries.Select(e => e.DumpId).ToHashSet() : null)
                : feed.WriteTocAsync;
        var env = PgRestoreArguments.Environment(_options, phase.Number);

        Report(phase, 0, phaseTotal, $"starting pg_restore with {Plural.Of(entries.Count, "entry")}");
        _debug?.Invoke(ToolProcess.Display("pg_restore", args) + (feedInput is null ? "" : " < " + phase.Archive.Source));
        try
        {
            return await ToolProcess.RunAsync(pgRestore, args, _options.Target, line => { _debug?.Invoke(line); tracker.OnLine(line); }, ct, env, feedInput).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log($"phase {phase.Number} stopped: pg_restore was ended; the journal keeps the tables that committed");
            throw;
        }
    }

    private void Report(RestorePhase phase, int done, int total, string activity) => _report(phase, done, total, activity);

    private void Log(string message) => _log?.Invoke(message);
}
