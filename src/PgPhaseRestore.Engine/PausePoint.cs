namespace PgPhaseRestore.Engine;

/// <summary>
/// Named points where a run may be held, so that fault tests can act on the databases there (damage a side
/// database, kill the process between two renames). Inert unless a host installs <see cref="Hook"/>: only the
/// command-line host does (PgPhaseRestore.Demo's TestSeam), and only when its tests ask for it.
/// </summary>
internal static class PausePoint
{
    /// <summary>Called at each point with its name; null holds nothing.</summary>
    internal static Func<string, CancellationToken, Task>? Hook { get; set; }

    /// <summary>The run has reached <paramref name="point"/>: waits as long as the hook holds it.</summary>
    public static Task ReachedAsync(string point, CancellationToken ct) => Hook?.Invoke(point, ct) ?? Task.CompletedTask;
}
