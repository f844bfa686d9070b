using System.Globalization;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Processes;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Confirms a data phase's provisional late builds (<see cref="IndexSortEstimate.Provisional"/>: sized from the first
/// share of their table's rows) while the table loads, so the scan that sizes them does not delay the restore. Each
/// such table loads through this process's sessions behind a <see cref="SortGate"/>: its rows are measured on their
/// way, and they commit only once every provisional sort is known to fit the budget, each measured size journaled
/// first for the late build to run with. A sort that outgrows the budget stops the load before anything commits;
/// that index is then built on the empty table (maintained row by row, like an early build), and the table loads again.
/// </summary>
internal sealed class SortConfirmations
{
    private readonly RestorePhase _phase;
    private readonly RestoreJournal _journal;
    private readonly RestoreOptions _options;
    private readonly PgTool _pgRestore;
    private readonly string _workDir;
    private readonly BucketArchiveFeed? _feed;
    private readonly Action<string>? _log;
    private readonly Action<string>? _debug;
    private readonly long _budget;
    private readonly List<IndexDecision> _provisional;
    private readonly object _gate = new();
    private readonly Dictionary<int, List<IndexDecision>> _open;

    private SortConfirmations(RestorePhase phase, RestoreJournal journal, RestoreOptions options, PgTool pgRestore, string workDir, BucketArchiveFeed? feed,
        Action<string>? log, Action<string>? debug, List<IndexDecision> provisional)
    {
        (_phase, _journal, _options, _pgRestore, _workDir, _feed, _log, _debug) = (phase, journal, options, pgRestore, workDir, feed, log, debug);
        _budget = phase.MemoryBudget ?? PlanOptions.DefaultMemoryBudget;
        _provisional = provisional;
        // A measurement past this run's budget, of a table not loaded yet (an earlier run confirmed it under a larger
        // budget, then stopped before committing): measured again as the rows load, so the gate builds it early.
        journal.ForgetMeasuredSorts(provisional.Where(b => !journal.IsTableDone(b.TableDataId!.Value) && journal.MeasuredSort(b.Entry.DumpId) > _budget)
            .Select(b => b.Entry.DumpId));
        _open = provisional.Where(b => !journal.IsTableDone(b.TableDataId!.Value) && Unconfirmed(b))
            .GroupBy(b => b.TableDataId!.Value).ToDictionary(g => g.Key, g => g.ToList());
    }

    /// <summary>The confirmations of a data phase, or null when none of its late builds is provisional.</summary>
    public static SortConfirmations? For(RestorePhase phase, RestoreJournal journal, RestoreOptions options, PgTool pgRestore, string workDir,
        BucketArchiveFeed? feed, Action<string>? log, Action<string>? debug)
    {
        var provisional = phase.LateBuilds.Where(b => b.Estimate?.Provisional == true && b.TableDataId is not null).ToList();
        return provisional.Count == 0 ? null : new SortConfirmations(phase, journal, options, pgRestore, workDir, feed, log, debug, provisional);
    }

    /// <summary>The data entries of the tables whose loads are measured: they must go through this process's sessions.</summary>
    public IReadOnlySet<int> Tables
    {
        get
        {
            lock (_gate)
                return _open.Keys.ToHashSet();
        }
    }

    /// <summary>What a late build runs with: its measured sort once known, else the plan's estimate.</summary>
    public long ShareOf(IndexDecision build) => _journal.MeasuredSort(build.Entry.DumpId) ?? build.SortBytes ?? 0;

    private bool Unconfirmed(IndexDecision build) => !_journal.IsTableDone(build.Entry.DumpId) && _journal.MeasuredSort(build.Entry.DumpId) is null;

    /// <summary>The gate a load of <paramref name="table"/> (a data entry) passes its rows through, or null when none of its sorts waits.</summary>
    public SortGate? GateFor(TocEntry table)
    {
        List<IndexDecision> builds;
        lock (_gate)
        {
            if (!_open.TryGetValue(table.DumpId, out var open))
                return null;
            builds = open.Where(Unconfirmed).ToList();
        }
        if (builds.Count == 0)
            return null;
        var shapes = builds.Select(b => IndexKeyShape.Of(_phase.Archive, b.Entry)).ToList();
        // Only the sizes are wanted: the order of the keys was noted when the plan was made.
        var meter = shapes.Any(s => s is null) ? null : CopyRowMeter.For(table, shapes!, watchOrder: false);
        return new SortGate(table, builds, meter, _budget);
    }

    /// <summary>Every row passed the gate and each sort fits: the sizes are journaled, before the rows may commit.</summary>
    public void Confirm(SortGate gate)
    {
        gate.ThrowIfOver();
        var measured = gate.Measured();
        _journal.RecordMeasuredSorts(measured);
        lock (_gate)
            _open.Remove(gate.Table.DumpId);
        _log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"{gate.Table.QualifiedName}: {gate.Rows:N0} rows measured as they loaded; ") +
                     string.Join(", ", gate.Builds.Select(b => $"{b.Entry.QualifiedName} {SizeText.Format(measured[b.Entry.DumpId])}")) +
                     $", each inside the {SizeText.Format(_budget)} budget");
    }

    /// <summary>A measured load stopped before committing: the builds whose sorts outgrew the budget are built now, on the empty table.</summary>
    public async Task BuildEarlyAsync(SortGate gate, CancellationToken ct)
    {
        _log?.Invoke($"{gate.Why}; built now on the empty table, then the table loads again");
        foreach (var build in gate.Outgrown ?? [])
        {
            await IndexBuild.RunAsync(build.Entry, "built before its table's data, its sort having outgrown the budget", null, _options, _pgRestore,
                _phase.Archive, _workDir, _feed, _debug, ct).ConfigureAwait(false);
            _journal.CompleteTable(build.Entry.DumpId);
        }
    }

    /// <summary>
    /// Before a run builds anything: a table an earlier run loaded whose provisional sorts were never measured (that
    /// run planned otherwise) is measured by a scan of its rows now, and a measured sort past this run's budget is
    /// refused, as the table can no longer take that index early.
    /// </summary>
    public async Task SizeLoadedTablesAsync(CancellationToken ct)
    {
        var unmeasured = _provisional.Where(b => Unconfirmed(b) && _journal.IsTableDone(b.TableDataId!.Value)).ToList();
        if (unmeasured.Count > 0)
        {
            var (estimates, problem) = await Task.Run(() => ArchiveSizeScan.EstimateAsync(_phase.Archive, null, _log, ct,
                onlyData: unmeasured.Select(b => b.TableDataId!.Value).ToHashSet()), ct).ConfigureAwait(false);
            var sizes = new Dictionary<int, long>();
            foreach (var b in unmeasured)
            {
                var table = AutoIndexPlanner.TableOf(_phase.Archive, b.Entry);
                if (table is null || !estimates.TryGetValue(AutoIndexPlanner.EstimateKey(b.Entry, table), out var estimate))
                    throw new PgPhaseException($"{b.Entry.TocLabel}: its table was loaded by an earlier run, and its sort " +
                                               $"could not be measured from the archive ({problem ?? "its key could not be read"})", PgPhaseErrorCode.RestoreFailed);
                sizes[b.Entry.DumpId] = estimate.SortBytes;
            }
            _journal.RecordMeasuredSorts(sizes);
        }
        var past = _provisional.Where(b => !_journal.IsTableDone(b.Entry.DumpId) && _journal.IsTableDone(b.TableDataId!.Value)
                                           && _journal.MeasuredSort(b.Entry.DumpId) > _budget).ToList();
        if (past.Count > 0)
            throw new PgPhaseException($"{Plural.Of(past.Count, "index")} to build after {(past.Count == 1 ? "its table's" : "their tables'")} data would outgrow this run's " +
                                       $"{SizeText.Format(_budget)} memory budget: " +
                                       string.Join(", ", past.Select(b => $"{b.Entry.QualifiedName} (measured at {SizeText.Format(_journal.MeasuredSort(b.Entry.DumpId)!.Value)})")) +
                                       "; the rows are loaded, so it can no longer be built before them. Resume with a memory budget of at least " +
                                       IndexPlacement.Exact((past.Max(b => _journal.MeasuredSort(b.Entry.DumpId)!.Value) + (1 << 20) - 1) >> 20 << 20), PgPhaseErrorCode.PlanChanged);
    }
}
