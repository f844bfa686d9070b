namespace PgPhaseRestore.Engine.Backup;

/// <summary>How long a backup lock takes to settle, how often it is refreshed, and when it counts as abandoned.</summary>
internal sealed class BackupLockTiming
{
    /// <summary>
    /// Wait between writing the lock and reading it back. Two runs that both found no lock both write it; the
    /// read-back after this pause shows each which write came last, so only that run goes on.
    /// </summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the holder rewrites its heartbeat.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A lock whose heartbeat is older than this is abandoned and may be taken over.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMinutes(3);
}
