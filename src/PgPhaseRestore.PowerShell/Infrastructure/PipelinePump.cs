using System.Diagnostics;
using System.Management.Automation;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// Carries one engine call's messages to the pipeline thread, the only thread PowerShell lets write. Ordered work
/// (objects, errors, verbose and debug lines, completed progress) runs in the order it was posted. Progress is
/// coalesced: only the latest record of each activity is kept, and written at most every 200 ms. An engine reports
/// far faster than a console renders, and a backlog of progress kept the prompt away for seconds after Ctrl+C.
/// A stop drops whatever is still queued.
/// </summary>
internal sealed class PipelinePump
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(200);

    private readonly object _gate = new();
    private readonly Queue<Action> _ordered = new();
    // Keyed by activity id, so parents (lower ids) are written before their children.
    private readonly SortedDictionary<int, ProgressRecord> _progress = new();
    private readonly Action<ProgressRecord> _writeProgress;
    private bool _closed;

    /// <param name="writeProgress">The cmdlet's WriteProgress.</param>
    public PipelinePump(Action<ProgressRecord> writeProgress) => _writeProgress = writeProgress;

    /// <summary>Queues work for the pipeline thread; once the call has ended, the work is dropped.</summary>
    public void Post(Action action)
    {
        lock (_gate)
        {
            if (_closed)
                return;
            _ordered.Enqueue(action);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// Keeps the latest record of its activity. A completed record is never coalesced: it replaces what is pending
    /// for its activity and is written in order with the other work, so a bar that ends is seen to end.
    /// </summary>
    public void Progress(ProgressRecord record)
    {
        lock (_gate)
        {
            if (_closed)
                return;
            if (record.RecordType == ProgressRecordType.Completed)
            {
                _progress.Remove(record.ActivityId);
                _ordered.Enqueue(() => _writeProgress(record));
            }
            else
            {
                _progress[record.ActivityId] = record;
            }
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Wakes the pipeline thread (the engine call ended, or a stop was asked for).</summary>
    public void Wake()
    {
        lock (_gate)
            Monitor.PulseAll(_gate);
    }

    /// <summary>
    /// Runs posted work on the calling (pipeline) thread until the engine call ends and its work is done, or until
    /// <paramref name="stop"/> is cancelled, which drops what is queued. Progress still pending when the call ends is
    /// stale and dropped. A write that throws ends the pump and propagates.
    /// </summary>
    public void Run(Task engine, CancellationToken stop)
    {
        using var wake = stop.Register(Wake);
        var sinceProgress = Stopwatch.StartNew();
        bool anyProgress = false;
        try
        {
            while (true)
            {
                var work = new List<Action>();
                List<ProgressRecord>? progress = null;
                lock (_gate)
                {
                    while (_ordered.Count == 0 && !engine.IsCompleted && !stop.IsCancellationRequested)
                    {
                        var untilProgress = ProgressInterval - sinceProgress.Elapsed;
                        if (_progress.Count > 0 && (!anyProgress || untilProgress <= TimeSpan.Zero))
                            break;
                        Monitor.Wait(_gate, _progress.Count > 0 ? untilProgress : Timeout.InfiniteTimeSpan);
                    }
                    if (stop.IsCancellationRequested)
                        return;
                    while (_ordered.TryDequeue(out var action))
                        work.Add(action);
                    if (_progress.Count > 0 && !engine.IsCompleted && (!anyProgress || sinceProgress.Elapsed >= ProgressInterval))
                    {
                        progress = [.. _progress.Values];
                        _progress.Clear();
                    }
                    if (work.Count == 0 && progress is null && engine.IsCompleted)
                        return;
                }
                foreach (var action in work)
                {
                    if (stop.IsCancellationRequested)
                        return;
                    action();
                }
                if (progress is not null)
                {
                    foreach (var record in progress)
                        _writeProgress(record);
                    anyProgress = true;
                    sinceProgress.Restart();
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _closed = true;
                _ordered.Clear();
                _progress.Clear();
            }
        }
    }
}
