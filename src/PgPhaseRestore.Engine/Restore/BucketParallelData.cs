using System.Diagnostics;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tools;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// The data phase of an archive in a bucket whose manifest maps its data blocks: up to N pg_restore processes at
/// once, each loading one table from the archive's TOC and that table's block (<see cref="ArchiveBlockReader"/>), the
/// biggest first; the other entries (sequence values, large objects and the like) go through one more pg_restore,
/// fed the TOC and their blocks in file order. A table is journaled only after its pg_restore exited 0, which it
/// cannot do before its block matched the manifest's SHA-256.
/// </summary>
internal sealed class BucketParallelData
{
    private readonly RestorePhase _phase;
    private readonly RestoreOptions _options;
    private readonly PgTool _pgRestore;
    private readonly RestoreJournal _journal;
    private readonly ArchiveBlockReader _blocks;
    private readonly string _workDir;
    private readonly Action<int, string> _report;
    private readonly Action<string>? _log;
    private readonly Action<string>? _debug;
    private readonly Action<int>? _committed;
    private readonly List<RestoreError> _errors = [];
    private int _itemsDone;
    private int _tablesLoaded;

    /// <summary>
    /// <paramref name="report"/> gets the entries done so far and what happens; <paramref name="committed"/> each
    /// table's dump id once its rows are committed and journaled.
    /// </summary>
    public BucketParallelData(RestorePhase phase, RestoreOptions options, PgTool pgRestore, RestoreJournal journal, ArchiveBlockReader blocks,
        string workDir, Action<int, string> report, Action<string>? log, Action<string>? debug, Action<int>? committed)
    {
        _phase = phase;
        _options = options;
        _pgRestore = pgRestore;
        _journal = journal;
        _blocks = blocks;
        _workDir = workDir;
        _report = report;
        _log = log;
        _debug = debug;
        _committed = committed;
    }

    /// <summary>What the loads did: tables committed, and the failures (none when all succeeded).</summary>
    public sealed record Outcome(int TablesLoaded, IReadOnlyList<RestoreError> Errors);

    /// <summary>One pg_restore's share: a single table, or the entries that are not tables of their own.</summary>
    private sealed record Item(IReadOnlyList<TocEntry> Entries, TocEntry? Table)
    {
        public string Name => Table is { } t ? $"table {t.QualifiedName}" : $"{Entries.Count} other data {(Entries.Count == 1 ? "entry" : "entries")}";
    }

    /// <summary>Loads <paramref name="entries"/> over <paramref name="jobs"/> pg_restore processes at once.</summary>
    public async Task<Outcome> RunAsync(IReadOnlyList<TocEntry> entries, int jobs, CancellationToken ct)
    {
        var tables = entries.Where(e => e.Type == "TABLE DATA" && _blocks.BlockOf(e.DumpId) is not null)
            .OrderByDescending(e => _blocks.BlockOf(e.DumpId)!.Length).ToList();
        var others = InFileOrder(entries.Except(tables).ToList());
        var tableIds = tables.Select(t => t.DumpId).ToHashSet();
        // Entries that depend on a table's data wait for all tables; the others load alongside them.
        bool othersFirst = !others.Any(e => e.Dependencies.Any(tableIds.Contains));
        var items = tables.Select(t => new Item([t], t)).ToList();
        if (others.Count > 0 && othersFirst)
            items.Insert(0, new Item(others, null));
        _log?.Invoke($"phase {_phase.Number} loads {Plural.Of(tables.Count, "table")} from {_blocks.Location} with up to {Plural.Of(jobs, "pg_restore process")} at once, " +
                     "each fed its table's data block");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await RunItemsAsync(items, jobs, stop, ct).ConfigureAwait(false);
        if (others.Count > 0 && !othersFirst && (_errors.Count == 0 || !_options.StopOnError))
            await RunItemsAsync([new Item(others, null)], 1, stop, ct).ConfigureAwait(false);
        lock (_errors)
            return new Outcome(_tablesLoaded, _errors.ToList());
    }

    /// <summary>The entries as given, except that those with a block take the block's file order among themselves.</summary>
    private List<TocEntry> InFileOrder(List<TocEntry> entries)
    {
        var withBlocks = new Queue<TocEntry>(entries.Where(e => _blocks.BlockOf(e.DumpId) is not null).OrderBy(e => _blocks.BlockOf(e.DumpId)!.Offset));
        return entries.Select(e => _blocks.BlockOf(e.DumpId) is null ? e : withBlocks.Dequeue()).ToList();
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
            _log?.Invoke($"phase {_phase.Number} stopped: its pg_restore processes were ended; the journal keeps the tables that committed");
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
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return; // stopped because another load failed
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            stop.Cancel();
            throw;
        }
        if (failure is null)
        {
            if (item.Table is { } table)
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

    /// <summary>One pg_restore over the item's entries, fed from the bucket; the failure, or null when it succeeded.</summary>
    private async Task<RestoreError?> LoadAsync(Item item, CancellationToken ct)
    {
        var listFile = Path.Combine(_workDir, $"data-{item.Entries[0].DumpId}.list");
        await File.WriteAllTextAsync(listFile, RestoreList.Format(_phase.Archive, item.Entries), ct).ConfigureAwait(false);
        var args = PgRestoreArguments.Build(_phase, _options, listFile, jobs: 1, streamed: true);
        var env = new Dictionary<string, string> { ["PGAPPNAME"] = StaleSessions.ApplicationName(_phase.Number) };
        if (PgRestoreArguments.SessionOptions(_options) is { } pgOptions)
            env["PGOPTIONS"] = pgOptions;
        var output = new PgRestoreOutput();
        long size = item.Entries.Sum(e => _blocks.BlockOf(e.DumpId)?.Length ?? 0);
        _report(Volatile.Read(ref _itemsDone), $"loading {item.Name} ({SizeText.Format(size)} from the bucket)");
        _debug?.Invoke("pg_restore " + string.Join(' ', args.Select(a => a.Contains(' ') ? $"'{a}'" : a)) + " < " + _blocks.Describe(item.Entries));
        var progress = Throttled(item, size);
        try
        {
            var run = await ToolProcess.RunAsync(_pgRestore, args, _options.Target, line => OnLine(output, line), ct, env,
                (stdin, token) => _blocks.WriteAsync(stdin, item.Entries, progress, token)).ConfigureAwait(false);
            if (run.ExitCode == 0)
                return null;
            var said = output.Errors.Count > 0 ? string.Join(" | ", output.Errors.Select(e => e.Message)) : string.Join(" | ", run.ErrorLines.TakeLast(5));
            return Failure(item, $"pg_restore exited with code {run.ExitCode}: {said}");
        }
        catch (Exception ex) when (ex is RestoreException or ArchiveSourceException)
        {
            return Failure(item, ex.Message);
        }
    }

    private void OnLine(PgRestoreOutput output, string line)
    {
        _debug?.Invoke(line);
        if (output.Parse(line).Kind == PgRestoreOutput.Kind.Error)
            _log?.Invoke(line);
    }

    private static RestoreError Failure(Item item, string message) => item.Table is { } table
        ? new RestoreError(table.DumpId, $"{table.Type} {table.QualifiedName}", message)
        : new RestoreError(null, null, $"{item.Name} ({string.Join(", ", item.Entries.Take(5).Select(e => $"{e.Type} {e.QualifiedName}"))}): {message}");

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
