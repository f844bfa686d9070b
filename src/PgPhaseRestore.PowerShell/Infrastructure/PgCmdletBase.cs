using System.Collections.Concurrent;
using System.Management.Automation;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// Shared plumbing: a cancellation token cancelled by Ctrl+C or a runbook stop (StopProcessing runs on another
/// thread), and a pump that runs one engine call off the pipeline thread while writing its progress and
/// messages on the pipeline thread, where PowerShell requires them.
/// </summary>
public abstract class PgCmdletBase : PSCmdlet
{
    private readonly CancellationTokenSource _stop = new();
    private BlockingCollection<Action>? _pending;

    protected override void StopProcessing() => _stop.Cancel();

    /// <summary>Runs an engine call; callbacks queued with <see cref="OnPipeline"/> run here, in order.</summary>
    protected T RunEngine<T>(Func<CancellationToken, Task<T>> call)
    {
        using var pending = new BlockingCollection<Action>();
        _pending = pending;
        try
        {
            var task = Task.Run(() => call(_stop.Token));
            task.ContinueWith(_ => pending.CompleteAdding(), TaskScheduler.Default);
            foreach (var action in pending.GetConsumingEnumerable())
                action();
            return task.GetAwaiter().GetResult();
        }
        finally
        {
            _pending = null;
        }
    }

    /// <summary>Queues work (WriteProgress, WriteVerbose...) from an engine thread onto the pipeline thread.</summary>
    protected void OnPipeline(Action action)
    {
        var pending = _pending;
        if (pending is null)
        {
            action();
            return;
        }
        try
        {
            pending.Add(action);
        }
        catch (InvalidOperationException)
        {
            // The engine call has already finished: late messages are dropped rather than written off-thread.
        }
    }

    /// <summary>A filesystem path as PowerShell means it (relative to the current location, ~ expanded); URIs pass through.</summary>
    protected string ResolveLocation(string location) =>
        location.Contains("://", StringComparison.Ordinal)
            ? location
            : SessionState.Path.GetUnresolvedProviderPathFromPSPath(location);
}
