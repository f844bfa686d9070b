namespace PgPhaseRestore.Engine.Backup;

/// <summary>What a backup lock says about the run that holds it.</summary>
internal sealed record BackupLockHolder
{
    public required string RunId { get; init; }
    public required string Host { get; init; }
    public required int Pid { get; init; }

    /// <summary>When the holder's process started: tells a live process from a later one that reuses its pid.</summary>
    public DateTimeOffset? ProcessStarted { get; init; }

    public required DateTimeOffset Started { get; init; }
    public required DateTimeOffset Heartbeat { get; init; }
    public string? Location { get; init; }

    public override string ToString() => $"run {RunId} on host {Host}, pid {Pid}, started {Started.UtcDateTime:u}";
}
