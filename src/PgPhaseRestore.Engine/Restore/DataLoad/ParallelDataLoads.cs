using System.Diagnostics;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// A data phase whose tables load side by side: up to N at once, the biggest first, each by the loader that knows
/// where its data lies (<see cref="IDataItemLoader"/>); the other entries (sequence values, large objects and the
/// like) load as one more share, in storage order. A table is journaled only after its load committed.
/// </summary>
internal sealed class ParallelDataLoads
{
    private readonly RestorePhase _phase;
    private readonly RestoreOptions _options;
    private readonly RestoreJournal _journal;
    private readonly IDataItemLoader _loader;
    private readonly Action<int, string> _report;
    private readonly Action<string>? _log;
    private readonly Action<int>? _committed;
    private readonly IReadOnlySet<int> _oneSession;
    private readonly SplitTableLoader? _sessions;
    private readonly Action<string>? _debug;
    private readonly List<RestoreError> _errors = [];
    private int _itemsDone;
    private int _tablesLoaded;

    /// <summary>
    /// <paramref name="report"/> gets the entries done so far and what happens; <paramref name="committed"/> each
    /// table's dump id once its rows are committed and journaled. The tables in <paramref name="oneSession"/> load
    /// through one session of <paramref name="sessions"/>, which may write them frozen (<see cref="FrozenLoad"/>).
    /// </summary>
    public ParallelDataLoads(RestorePhase phase, RestoreOptions options, RestoreJournal journal, IDataItemLoader loader,
        Action<int, string> report, Action<string>? log, Action<int>? committed, IReadOnlySet<int>? oneSession = null, SplitTableLoader? sessions = null,
        Action<string>? debug = null)
    {
        _debug = debug;
        _oneSession = sessions is null ? new HashSet<int>() : oneSession ?? new HashSet<int>();
        _sessions = sessions;
        _phase = phase;
        _options = options;
        _journal = journal;
        _loader = loader;
        _report = report;
        _log = log;
        _committed = committed;
    }

    /// <summary>What the loads did: tables committed, and the failures (none when all succeeded).</summary>
    public sealed record Outcome(int TablesLoaded, IReadOnlyList<RestoreError> Errors);

    /// <summary>One share: one table, small tables loaded together, or the entries that are not tables of their own.</summary>
    private sealed record Item(IReadOnlyList<TocEntry> Entries, IReadOnlyList<TocEntry> Tables)
    {
        public string Name => Tables.Count switch
        {
            0 => $"{Entries.Count} other data {(Entries.Count == 1 ? "entry" : "entries")}",
            1 => $"table {Tables[0].QualifiedName}",
            _ => $"{Tables.Count} small tables ({Tables[0].QualifiedName} to {Tables[^1].QualifiedName})",
        };
    }

    /// <summary>Tables smaller than this load several to a share where the loader can, so each does not pay a process start.</summary>
    internal const long SmallTableBytes = 1024 * 1024;

    /// <summary>
    /// One share per table, the biggest first; where the loader takes several tables at once, the small ones go
    /// together in storage order, in enough shares to keep every job busy and at most 64 tables each.
    /// </summary>
    private List<Item> TableItems(List<TocEntry> tables, int jobs)
    {
        var sizes = _loader.Sizes;
        var small = _loader.LoadsTablesTogether ? tables.Where(t => sizes[t.DumpId] < SmallTableBytes).ToList() : [];
        int perShare = Math.Clamp((small.Count + jobs * 4 - 1) / (jobs * 4), 1, 64);
        if (perShare == 1)
            small = [];
        var items = tables.Except(small).Select(t => new Item([t], [t])).ToList();
        foreach (var share in InFileOrder(small).Chunk(perShare))
            items.Add(new Item(share, share));
        return items;
    }

    /// <summary>Loads <paramref name="entries"/>, <paramref name="jobs"/> shares at once.</summary>
    public async Task<Outcome> RunAsync(IReadOnlyList<TocEntry> entries, int jobs, CancellationToken ct)
    {
        var sizes = _loader.Sizes;
        var tables = entries.Where(e => e.Type == "TABLE DATA" && sizes.ContainsKey(e.DumpId))
            .OrderByDescending(e => sizes[e.DumpId]).ToList();
        var others = InFileOrder(entries.Except(tables).ToList());
        var tableIds = tables.Select(t => t.DumpId).ToHashSet();
        // Entries that depend on a table's data wait for all tables; the others load alongside them.
        bool othersFirst = !others.Any(e => e.Dependencies.Any(tableIds.Contains));
        var items = TableItems(tables, jobs);
        if (others.Count > 0 && othersFirst)
            items.Insert(0, new Item(others, []));
        _log?.Invoke($"phase {_phase.Number} loads {Plural.Of(tables.Count, "table")} from {_loader.Location}, up to {jobs} at once, each from its own data");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await RunItemsAsync(items, jobs, stop, ct).ConfigureAwait(false);
        if (others.Count > 0 && !othersFirst && (_errors.Count == 0 || !_options.StopOnError))
            await RunItemsAsync([new Item(others, [])], 1, stop, ct).ConfigureAwait(false);
        lock (_errors)
            return new Outcome(_tablesLoaded, _errors.ToList());
    }

    /// <summary>The entries as given, except that those with data of their own take its storage order among themselves.</summary>
    private List<TocEntry> InFileOrder(List<TocEntry> entries)
    {
        var stored = new Queue<TocEntry>(entries.Where(e => _loader.StoredAt(e.DumpId) is not null).OrderBy(e => _loader.StoredAt(e.DumpId)));
        return entries.Select(e => _loader.StoredAt(e.DumpId) is null ? e : stored.Dequeue()).ToList();
    }

    private async Task RunItemsAsync(IReadOnlyList<Item> items, int jobs, CancellationTokenSource stop, CancellationToken ct)
    {
        using var slots = new SemaphoreSlim(jobs);
        var running = new List<Task>();
        foreach (var item in items)
        {
            try
            {
                await slots.WaitAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break; // stopped: nothing more starts, and what runs is awaited below
            }
            running.Add(Task.Run(async () =>
            {
                try
                {
                    await RunItemAsync(item, stop, ct).ConfigureAwait(false);
                }
                finally
                {
                    slots.Release();
                }
            }, CancellationToken.None));
        }
        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
        catch (OperationCanceledException)
        {
            _log?.Invoke($"phase {_phase.Number} stopped: its loads were ended; the journal keeps the tables that committed");
            throw;
        }
    }

    private async Task RunItemAsync(Item item, CancellationTokenSource stop, CancellationToken ct)
    {
        RestoreError? failure;
        try
        {
            failure = await LoadAsync(item, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && stop.IsCancellationRequested)
        {
            return; // stopped because another load failed
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            // Cancelled though neither the caller nor another load stopped it: a failure, never a table passed over in silence.
            failure = Failure(item, new PgPhaseException($"its load was cancelled unexpectedly ({ex.Message})", PgPhaseErrorCode.RestoreFailed, ex));
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            stop.Cancel();
            throw;
        }
        if (failure is null)
        {
            // Every table of the share committed: its load exited cleanly only after all of them did.
            foreach (var table in item.Tables)
            {
                _journal.CompleteTable(table.DumpId);
                Interlocked.Increment(ref _tablesLoaded);
                _committed?.Invoke(table.DumpId);
            }
            _report(Interlocked.Add(ref _itemsDone, item.Entries.Count), $"finished {item.Name}");
            return;
        }
        lock (_errors)
            _errors.Add(failure);
        if (_options.StopOnError)
            stop.Cancel();
    }

    /// <summary>The item's load; the failure, or null when it committed.</summary>
    private async Task<RestoreError?> LoadAsync(Item item, CancellationToken ct)
    {
        long size = item.Entries.Sum(e => _loader.Sizes.GetValueOrDefault(e.DumpId));
        _report(Volatile.Read(ref _itemsDone), $"loading {item.Name} ({SizeText.Format(size)})");
        if (item.Tables is [var table] && _oneSession.Contains(table.DumpId))
            return await LoadInOneSessionAsync(item, table, ct).ConfigureAwait(false);
        var failure = await _loader.LoadAsync(item.Entries, item.Tables, Throttled(item, size), ct).ConfigureAwait(false);
        return failure is null ? null : Failure(item, failure);
    }

    /// <summary>A table whose rows go through one session of this process, not straight from pg_restore to the server.</summary>
    private async Task<RestoreError?> LoadInOneSessionAsync(Item item, TocEntry table, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        _debug?.Invoke($"{table.QualifiedName} for one session: {_loader.Describe(table)}");
        try
        {
            await _loader.LoadSplitAsync(_sessions!, table, 1, p =>
            {
                if (clock.Elapsed - last < TimeSpan.FromSeconds(1))
                    return;
                last = clock.Elapsed;
                _report(Volatile.Read(ref _itemsDone), $"loading {item.Name}: {p.Rows:N0} {Plural.Noun(p.Rows, "row")}, " +
                                                       $"{SizeText.Format(p.Bytes)} at {SizeText.Format((long)(p.Bytes / clock.Elapsed.TotalSeconds))}/s");
            }, ct).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (SplitTableLoader.IsLoadFailure(ex))
        {
            return Failure(item, ex as PgPhaseException ?? PgPhaseException.Wrap(ex.Message, ex, PgPhaseErrorCode.RestoreFailed));
        }
    }

    private static RestoreError Failure(Item item, PgPhaseException failure) => (item.Tables is [var table]
        ? new RestoreError(table.DumpId, $"{table.Type} {table.QualifiedName}", failure.Message)
        : new RestoreError(null, null, $"{item.Name} ({Listed(item.Entries)}): {failure.Message}")) with { Code = failure.Code };

    private static string Listed(IReadOnlyList<TocEntry> entries) =>
        string.Join(", ", entries.Take(10).Select(e => $"{e.Type} {e.QualifiedName}")) + (entries.Count > 10 ? $" and {entries.Count - 10} more" : "");

    /// <summary>Streaming progress for one item, at most once a second.</summary>
    private Action<long> Throttled(Item item, long size)
    {
        var clock = Stopwatch.StartNew();
        var last = TimeSpan.Zero;
        return sent =>
        {
            if (clock.Elapsed - last < TimeSpan.FromSeconds(1))
                return;
            last = clock.Elapsed;
            _report(Volatile.Read(ref _itemsDone), $"loading {item.Name}: {SizeText.Format(sent)} of {SizeText.Format(size)} " +
                                                   $"at {SizeText.Format((long)(sent / clock.Elapsed.TotalSeconds))}/s");
        };
    }
}
