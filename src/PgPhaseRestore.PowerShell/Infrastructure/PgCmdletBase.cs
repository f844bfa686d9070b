using System.Collections.Concurrent;
using System.Management.Automation;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// Shared plumbing: a cancellation token cancelled by Ctrl+C or a runbook stop (StopProcessing runs on another
/// thread), and a pump that runs one engine call off the pipeline thread while writing its progress and
/// messages on the pipeline thread, where PowerShell requires them. PowerShell disposes a cmdlet that is
/// IDisposable when its pipeline ends, which releases the token source.
/// </summary>
public abstract class PgCmdletBase : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly object _stopGate = new();
    private bool _disposed;
    private BlockingCollection<Action>? _pending;

    /// <summary>Ctrl+C or a runbook stop: cancels the running engine call, which ends its child processes.</summary>
    protected override void StopProcessing()
    {
        // A stop can arrive from another thread after the pipeline has already disposed this cmdlet.
        lock (_stopGate)
        {
            if (!_disposed)
                _stop.Cancel();
        }
    }

    /// <summary>Releases the cancellation source; a stop that arrives afterwards is ignored.</summary>
    public void Dispose()
    {
        lock (_stopGate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _stop.Dispose();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs an engine call; callbacks queued with <see cref="OnPipeline"/> run here, in order.</summary>
    protected T RunEngine<T>(Func<CancellationToken, Task<T>> call)
    {
        using var pending = new BlockingCollection<Action>();
        // One source per call: a failed write ends this call's engine work without cancelling later records.
        using var thisCall = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        _pending = pending;
        Task<T>? task = null;
        try
        {
            task = Task.Run(() => call(thisCall.Token));
            task.ContinueWith(_ => CompleteQuietly(pending), TaskScheduler.Default);
            foreach (var action in pending.GetConsumingEnumerable())
                action();
            return task.GetAwaiter().GetResult();
        }
        catch when (task is { IsCompleted: false })
        {
            // A write on the pipeline failed (stopped pipeline, -ErrorAction Stop): the engine call must not outlive
            // the cmdlet, its token or its child processes.
            thisCall.Cancel();
            try
            {
                task.Wait();
            }
            catch (AggregateException)
            {
                // Its failure is the cancellation just asked for; the pipeline's exception is the one to report.
            }
            throw;
        }
        finally
        {
            _pending = null;
        }
    }

    private static void CompleteQuietly(BlockingCollection<Action> pending)
    {
        try
        {
            pending.CompleteAdding();
        }
        catch (ObjectDisposedException)
        {
            // The call ended on a pipeline failure and has already released the queue.
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
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
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
