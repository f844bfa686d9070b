using System.Management.Automation;
using PgPhaseRestore.Engine.Backup;

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
    private PipelinePump? _pump;
    // The engine call running now, if any: a stop waits for it.
    private volatile Task? _running;

    // How long a stop waits for the engine: child processes are killed at once, but a backup stopped while it is
    // published finishes publishing first (at most BackupRunner.PublishLimit), and a host that tears its process down
    // as soon as the stop returns must not cut it between its object and its manifest.
    private static readonly TimeSpan StopWait = BackupRunner.PublishLimit + TimeSpan.FromSeconds(30);

    /// <summary>Writes a non-terminating error whose recommended action names only this cmdlet's parameters.</summary>
    protected new void WriteError(ErrorRecord errorRecord) => base.WriteError(RecommendedActions.FitTo(MyInvocation.MyCommand, errorRecord));

    /// <summary>Ends the command with an error whose recommended action names only this cmdlet's parameters.</summary>
    protected new void ThrowTerminatingError(ErrorRecord errorRecord) => base.ThrowTerminatingError(RecommendedActions.FitTo(MyInvocation.MyCommand, errorRecord));

    /// <summary>
    /// Ctrl+C or a runbook stop: cancels the running engine call, which ends its child processes, and returns once it
    /// has. Stop-Job and a runbook's stop return when this does: a resume started right after must not find
    /// pg_restore still holding the target.
    /// </summary>
    protected override void StopProcessing()
    {
        Task? running;
        // A stop can arrive from another thread after the pipeline has already disposed this cmdlet.
        lock (_stopGate)
        {
            if (_disposed)
                return;
            _stop.Cancel();
            running = _running;
        }
        try
        {
            running?.Wait(StopWait);
        }
        catch (AggregateException)
        {
            // The call ended with the cancellation just asked for, or failed: the pipeline thread reports it.
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

    /// <summary>
    /// Runs an engine call off the pipeline thread; work queued with <see cref="OnPipeline"/> and progress from
    /// <see cref="OnProgress"/> are written here meanwhile. A stop (Ctrl+C, a runbook stop) drops what is queued,
    /// waits only for the engine to end its child processes, and ends the pipeline.
    /// </summary>
    protected T RunEngine<T>(Func<CancellationToken, Task<T>> call)
    {
        var pump = new PipelinePump(WriteProgress);
        // One source per call: a failed write ends this call's engine work without cancelling later records.
        using var thisCall = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        _pump = pump;
        Task<T>? task = null;
        try
        {
            task = Task.Run(() => call(thisCall.Token));
            _running = task;
            task.ContinueWith(_ => pump.Wake(), TaskScheduler.Default);
            pump.Run(task, _stop.Token);
            if (_stop.IsCancellationRequested)
            {
                WaitQuietly(task);
                throw new PipelineStoppedException();
            }
            return task.GetAwaiter().GetResult();
        }
        catch when (task is { IsCompleted: false })
        {
            // A write on the pipeline failed (stopped pipeline, -ErrorAction Stop, Select-Object -First): the engine
            // call must not outlive the cmdlet, its token or its child processes.
            thisCall.Cancel();
            WaitQuietly(task);
            throw;
        }
        finally
        {
            _pump = null;
            _running = null;
        }
    }

    private static void WaitQuietly(Task task)
    {
        try
        {
            task.Wait();
        }
        catch (AggregateException)
        {
            // Its failure is the cancellation just asked for; the pipeline's own exception is the one to report.
        }
    }

    /// <summary>Queues work (WriteObject, WriteVerbose...) from an engine thread onto the pipeline thread, in order.</summary>
    protected void OnPipeline(Action action)
    {
        var pump = _pump;
        if (pump is null)
            action();
        // Once the engine call has ended, a late message is dropped rather than written off-thread.
        else
            pump.Post(action);
    }

    /// <summary>
    /// A verbose record; with -Debug and no -Verbose, a debug record instead. PowerShell's runtime asks before each
    /// verbose record of a compiled cmdlet given -Debug alone (VerbosePreference Inquire): a runbook's NonInteractive
    /// host fails there, and an interactive run stops at every line. A debug record is shown without asking.
    /// </summary>
    protected new void WriteVerbose(string text)
    {
        if (MyInvocation.BoundParameters.TryGetValue("Debug", out var debug) && debug is SwitchParameter { IsPresent: true } &&
            !MyInvocation.BoundParameters.ContainsKey("Verbose"))
            WriteDebug(text);
        else
            base.WriteVerbose(text);
    }

    /// <summary>An engine's log line as a verbose record, written on the pipeline thread: the engine's log callback.</summary>
    private protected void VerboseFromEngine(string message) => OnPipeline(() => WriteVerbose(message));

    /// <summary>An engine's tool output as a debug record, written on the pipeline thread: the engine's debug callback.</summary>
    private protected void DebugFromEngine(string message) => OnPipeline(() => WriteDebug(message));

    /// <summary>Writes progress from an engine thread: the latest record of each activity, a few times a second.</summary>
    protected void OnProgress(ProgressRecord record)
    {
        var pump = _pump;
        if (pump is null)
            WriteProgress(record);
        else
            pump.Progress(record);
    }

    /// <summary>A filesystem path as PowerShell means it (relative to the current location, ~ expanded); URIs pass through.</summary>
    protected string ResolveLocation(string location) =>
        location.Contains("://", StringComparison.Ordinal)
            ? location
            : SessionState.Path.GetUnresolvedProviderPathFromPSPath(location);
}
