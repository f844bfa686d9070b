namespace PgPhaseRestore.Engine;

/// <summary>Reports synchronously on the reporting thread (Progress&lt;T&gt; posts to the thread pool and may reorder).</summary>
public sealed class CallbackProgress<T>(Action<T> callback) : IProgress<T>
{
    /// <summary>Calls the callback with the value, on the calling thread.</summary>
    public void Report(T value) => callback(value);
}
