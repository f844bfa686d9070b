using System.Diagnostics;
using System.Globalization;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Processes;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Runs the Auto strategy's late index builds during the data phase: each as soon as its table has committed, in a
/// transaction of its own (a constraint built as its index: two), with maintenance_work_mem set to its share and no
/// parallel workers (parallel builds always write temp files). Builds run side by side, at most as many as the
/// restore's jobs, while their shares add up to at most the budget; the longest ready build that fits goes first (<see
/// cref="BuildDuration"/>), so that no long sort trails at the end. A primary key or unique constraint in pg_dump's
/// plain form is built as its unique index beside the table's other builds, and made the constraint, with a job of its
/// own, once none of them runs (<see cref="ConstraintAsIndex"/>); a table's constraints sort side by side and are added one
/// at a time. A build that
/// locks its table more than CREATE INDEX does (any other constraint's ALTER TABLE ... ADD CONSTRAINT, an index entry
/// that also sets CLUSTER ON or REPLICA IDENTITY) starts only while nothing else builds on its table, and nothing
/// starts on a table while it builds: a build that would only wait for the lock leaves its place to one that can run.
/// One whose share alone exceeds the budget never gets here (the planner kept it early).
/// </summary>
internal sealed class LateIndexBuilds : IAsyncDisposable
{
    private readonly RestoreOptions _options;
    private readonly PgTool _pgRestore;
    private readonly DumpArchive _archive;
    private readonly RestoreJournal _journal;
    private readonly string _workDir;
    private readonly long _budget;
    private readonly BucketArchiveFeed? _feed;
    private readonly Action<string>? _log;
    private readonly Action<string>? _debug;
    private readonly Dictionary<int, List<IndexDecision>> _byTable;
    private readonly List<IndexDecision> _ready = [];
    private readonly List<Task> _running = [];
    private readonly CancellationTokenSource _stop;
    private readonly object _gate = new();
    private readonly int _concurrency;
    private readonly Func<IndexDecision, long> _shareOf;
    private readonly Dictionary<int, double> _duration;
    private long _inUse;
    private int _active;
    // Per table (its data entry): what builds on it.
    private readonly Dictionary<int, OnTable> _onTable = [];
    // Constraints built as their index, by dump id (null for the others).
    private readonly Dictionary<int, ConstraintAsIndex?> _asIndex;
    // How each build locks its table, by dump id: worked out once from its entry.
    private readonly Dictionary<int, TableLock> _lock;
    private Exception? _failure;

    public LateIndexBuilds(IReadOnlyList<IndexDecision> builds, long budget, RestoreOptions options, PgTool pgRestore, DumpArchive archive,
        RestoreJournal journal, string workDir, BucketArchiveFeed? feed, Action<string>? log, Action<string>? debug, CancellationToken ct,
        Func<IndexDecision, long>? shareOf = null, IReadOnlySet<int>? interleaved = null)
    {
        _shareOf = shareOf ?? (b => b.SortBytes ?? 0);
        _options = options;
        _pgRestore = pgRestore;
        _archive = archive;
        _journal = journal;
        _workDir = workDir;
        _budget = budget;
        _concurrency = Math.Max(1, options.Jobs);
        _feed = feed;
        _log = log;
        _debug = debug;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _byTable = builds.Where(b => !journal.IsTableDone(b.Entry.DumpId)).GroupBy(b => b.TableDataId!.Value).ToDictionary(g => g.Key, g => g.ToList());
        _asIndex = builds.ToDictionary(b => b.Entry.DumpId, b => ConstraintAsIndex.Of(b.Entry, archive));
        _lock = builds.ToDictionary(b => b.Entry.DumpId, b => LockOf(b.Entry, _asIndex[b.Entry.DumpId]));
        // Rows loaded over several sessions at once lie interleaved in the heap, whatever their order in the archive.
        _duration = builds.ToDictionary(b => b.Entry.DumpId, b => BuildDuration.Relative(b.Estimate?.Rows ?? _shareOf(b) / 64,
            IndexKeyShape.Of(archive, b.Entry), b.Estimate?.InKeyOrder == true && interleaved?.Contains(b.TableDataId!.Value) != true));
    }

    /// <summary>Builds still to run.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
                return _byTable.Values.Sum(l => l.Count) + _ready.Count + _running.Count(t => !t.IsCompleted);
        }
    }

    /// <summary>A table's rows have committed: its late builds may start.</summary>
    public void TableLoaded(int tableDataId)
    {
        lock (_gate)
        {
            if (!_byTable.Remove(tableDataId, out var all))
                return;
            int ready = MakeReady(all);
            _log?.Invoke($"{_archive.FindByDumpId(tableDataId)?.QualifiedName ?? $"table data {tableDataId}"} committed: " +
                         $"{Plural.Of(ready, "late index build")} may start");
            Pump();
        }
    }

    // Called under the gate: the builds not done yet join the ready ones (a provisional late build whose sort the rows
    // proved too large was built before them, see SortConfirmations); how many did.
    private int MakeReady(IEnumerable<IndexDecision> builds)
    {
        int before = _ready.Count;
        _ready.AddRange(builds.Where(b => !_journal.IsTableDone(b.Entry.DumpId)));
        return _ready.Count - before;
    }

    /// <summary>The data phase's loads all succeeded: every build still waiting for its table may start.</summary>
    public void AllTablesLoaded()
    {
        lock (_gate)
        {
            foreach (var builds in _byTable.Values)
                MakeReady(builds);
            _byTable.Clear();
            Pump();
        }
    }

    /// <summary>Waits for every build started or ready; throws the first failure.</summary>
    public async Task WhenDoneAsync()
    {
        while (true)
        {
            Task[] running;
            lock (_gate)
            {
                if (_failure is not null)
                    break;
                running = _running.Where(t => !t.IsCompleted).ToArray();
                if (running.Length == 0 && _ready.Count == 0)
                    break;
            }
            await Task.WhenAny(running.Append(Task.Delay(200))).ConfigureAwait(false);
        }
        if (_failure is not null)
            throw _failure;
    }

    // Called under the gate: start what fits, longest first. When nothing runs the first ready build starts
    // whatever its share, so one build larger than what is left never waits for ever.
    private void Pump()
    {
        // A constraint whose index is built is added, with a job of its own, as soon as nothing else builds on its
        // table; nothing starts there until it has (an instant: it only records the constraint).
        foreach (var on in _onTable.Values.Where(o => o is { Running: 0, Adding: null, Sorted.Count: > 0 }))
        {
            if (_active >= _concurrency || _failure is not null)
                break;
            _active++;
            on.Whole = true;
            on.Adding = on.Sorted.Dequeue();
            on.Adding.TrySetResult();
        }
        _ready.Sort((a, b) => _duration[b.Entry.DumpId] != _duration[a.Entry.DumpId]
            ? _duration[b.Entry.DumpId].CompareTo(_duration[a.Entry.DumpId]) : _shareOf(b).CompareTo(_shareOf(a)));
        for (int i = 0; i < _ready.Count && _failure is null && _active < _concurrency;)
        {
            var next = _ready[i];
            long share = _shareOf(next);
            if (_inUse > 0 && _inUse + share > _budget || Blocked(next))
            {
                i++;
                continue;
            }
            _ready.RemoveAt(i);
            _inUse += share;
            _active++;
            var on = Table(next);
            on.Running++;
            on.Whole |= _lock[next.Entry.DumpId] == TableLock.Whole;
            if (_lock[next.Entry.DumpId] == TableLock.AsIndex)
                on.Constraints++;
            _running.Add(Task.Run(() => BuildAsync(next, share)));
        }
    }

    // How a build locks its table. CREATE INDEX takes SHARE, which other builds share; ALTER TABLE ... ADD CONSTRAINT
    // takes ACCESS EXCLUSIVE. pg_dump appends to an index's entry what else it sets with the index (ALTER TABLE ...
    // CLUSTER ON, REPLICA IDENTITY USING INDEX...), run in the same transaction: stronger locks, which two such builds
    // would deadlock on. A constraint built as its index shares the table while it sorts, then holds it an instant.
    private enum TableLock { Shared, Whole, AsIndex }

    private static TableLock LockOf(TocEntry entry, ConstraintAsIndex? asIndex) =>
        asIndex is not null ? TableLock.AsIndex
        : entry.Type == "CONSTRAINT" || entry.Definition?.TrimEnd().TrimEnd(';').Contains(";\n", StringComparison.Ordinal) == true ? TableLock.Whole
        : TableLock.Shared;

    // Called under the gate: the build would wait for another one's lock on its table, and hold up the others
    // meanwhile. Constraints built as their index sort beside the table's other builds; each waits for its turn to be added.
    private bool Blocked(IndexDecision build) =>
        _onTable.TryGetValue(build.TableDataId!.Value, out var on) && (on.Whole || _lock[build.Entry.DumpId] == TableLock.Whole && (on.Running > 0 || on.Constraints > 0));

    private OnTable Table(IndexDecision build)
    {
        if (!_onTable.TryGetValue(build.TableDataId!.Value, out var on))
            _onTable[build.TableDataId!.Value] = on = new OnTable();
        return on;
    }

    // What builds on one table: how many sorts run, whether a build holds it whole, how many constraints are built as
    // their index (sorting, waiting or being added), the signals of those sorted and waiting to be added, in turn, and
    // the signal of the one being added.
    private sealed class OnTable
    {
        public int Running;
        public bool Whole;
        public int Constraints;
        public readonly Queue<TaskCompletionSource> Sorted = new();
        public TaskCompletionSource? Adding;
    }

    private async Task BuildAsync(IndexDecision build, long share)
    {
        var entry = build.Entry;
        var clock = Stopwatch.StartNew();
        // The constraint's signal to be added, once its index is sorted.
        TaskCompletionSource? turn = null;
        try
        {
            // The share is the sort's whole estimate (tuples, slots, fixed allocations): rounded up, never down.
            long kb = Math.Max(1024, (share + 1023) / 1024);
            if (_asIndex[entry.DumpId] is { } asIndex)
            {
                _log?.Invoke($"building {entry.Type} {entry.QualifiedName} after its table's data, with maintenance_work_mem {SizeText.Format(kb * 1024)}, as its unique index");
                await asIndex.RunAsync(kb, "built after its table's data", _options, Sorted, _log, _stop.Token).ConfigureAwait(false);
            }
            else
            {
                _log?.Invoke($"building {entry.Type} {entry.QualifiedName} after its table's data, with maintenance_work_mem {SizeText.Format(kb * 1024)}");
                await IndexBuild.RunAsync(entry, "built after its table's data", kb, _options, _pgRestore, _archive, _workDir, _feed, _debug, _stop.Token).ConfigureAwait(false);
            }
            _journal.CompleteTable(entry.DumpId);
            _log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"built {entry.QualifiedName} in {clock.Elapsed.TotalSeconds:F1} s"));
        }
        catch (Exception ex)
        {
            lock (_gate)
                _failure ??= ex;
            _stop.Cancel();
        }
        finally
        {
            lock (_gate)
            {
                var on = _onTable[build.TableDataId!.Value];
                if (turn is null)
                {
                    _inUse -= share;
                    _active--;
                    on.Running--;
                }
                // It ended (built, failed or stopped): whatever it held of the table, and the job its constraint took, are free.
                var locked = _lock[entry.DumpId];
                if (locked == TableLock.AsIndex)
                {
                    on.Constraints--;
                    if (turn is not null && on.Adding == turn)
                        (on.Adding, on.Whole, _active) = (null, false, _active - 1);
                    else if (turn is not null)
                        RemoveFrom(on.Sorted, turn);
                }
                else if (locked == TableLock.Whole)
                    on.Whole = false;
                if (on is { Running: 0, Whole: false, Constraints: 0 })
                    _onTable.Remove(build.TableDataId!.Value);
                Pump();
            }
        }

        // The index is built and committed: its job and memory go to the next build, and the constraint waits for its turn.
        Task Sorted()
        {
            lock (_gate)
            {
                _log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                    $"sorted {entry.QualifiedName} in {clock.Elapsed.TotalSeconds:F1} s: the constraint follows once no other build runs on its table"));
                _inUse -= share;
                _active--;
                var on = _onTable[build.TableDataId!.Value];
                on.Running--;
                turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                on.Sorted.Enqueue(turn);
                Pump();
                return turn.Task;
            }
        }
    }

    // A constraint stopped while it waited for its turn leaves the queue.
    private static void RemoveFrom(Queue<TaskCompletionSource> queue, TaskCompletionSource item)
    {
        var rest = queue.Where(t => t != item).ToList();
        queue.Clear();
        foreach (var t in rest)
            queue.Enqueue(t);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        Task[] running;
        lock (_gate)
            running = [.. _running];
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Failures were recorded where they happened; this only waits for the children to be gone.
        }
        _stop.Dispose();
    }
}
