using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore;

public enum PhaseStatus
{
    Succeeded,
    Failed,
    Skipped,
    Cancelled,
    NotRun,
}

/// <summary>A failure pg_restore reported, with the TOC entry it was working on.</summary>
public sealed record RestoreError(int? DumpId, string? Entry, string Message)
{
    public override string ToString() => DumpId is null ? Message : $"TOC entry {DumpId} ({Entry}): {Message}";
}

/// <summary>The outcome of one phase.</summary>
public sealed class PhaseResult
{
    public required int Phase { get; init; }
    public required string Name { get; init; }
    public required PhaseStatus Status { get; init; }
    public required string Target { get; init; }
    public required string Source { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public TimeSpan Duration { get; init; }
    public int Entries { get; init; }

    /// <summary>Tables loaded by this run of the phase (phase 3).</summary>
    public int TablesLoaded { get; init; }

    public IReadOnlyList<RestoreError> Errors { get; init; } = [];
    public string? Note { get; init; }

    public override string ToString() => $"Phase {Phase} {Name}: {Status} in {Duration.TotalSeconds:F1} s ({Plural.Of(Entries, "entry")}, {Plural.Of(Errors.Count, "error")})";
}

/// <summary>Progress of a running restore, reported per phase and per item.</summary>
public sealed record RestoreProgress(int Phase, string PhaseName, int ItemsDone, int ItemsTotal, string Activity)
{
    /// <summary>Items of the phase done, as a percentage; by bytes in the data phase when the archive gives sizes.</summary>
    public int PercentComplete => Data is { BytesTotal: > 0 } d ? (int)Math.Min(100, d.BytesDone * 100 / d.BytesTotal)
        : ItemsTotal <= 0 ? 0 : Math.Min(100, ItemsDone * 100 / ItemsTotal);

    /// <summary>In the data phase, bytes done and to do with a rate and the time left; null in other phases or without sizes.</summary>
    public DataProgress? Data { get; init; }
}

/// <summary>
/// Bytes of a data phase as stored in the archive (compressed, when it is): done (committed tables, or streamed from a
/// bucket), the phase's total, the rate this run has loaded at, and the time left at that rate when it can be told.
/// </summary>
public sealed record DataProgress(long BytesDone, long BytesTotal, double BytesPerSecond, TimeSpan? Remaining)
{
    /// <summary>"12.0 MiB of 40.0 MiB (30%) at 5.0 MiB/s, about 6 s left".</summary>
    public override string ToString()
    {
        var text = $"{SizeText.Format(BytesDone)} of {SizeText.Format(BytesTotal)} ({(BytesTotal > 0 ? BytesDone * 100 / BytesTotal : 0)}%)";
        if (BytesPerSecond > 0)
            text += $" at {SizeText.Format((long)BytesPerSecond)}/s";
        if (Remaining is { } left)
            text += $", about {(left.TotalSeconds < 90 ? $"{Math.Ceiling(left.TotalSeconds):0} s" : left.TotalMinutes < 90 ? $"{Math.Ceiling(left.TotalMinutes):0} min" : $"{left.TotalHours:0.#} h")} left";
        return text;
    }
}

/// <summary>What kind of whole-restore failure a <see cref="RestoreException"/> is.</summary>
public enum RestoreFailure
{
    /// <summary>Anything not listed below.</summary>
    General,
    /// <summary>Another restore holds the target's lock.</summary>
    Busy,
    /// <summary>The target is reached through a transaction-mode pooler.</summary>
    Pooler,
    /// <summary>The restore lock was lost while the restore ran.</summary>
    LockLost,
    /// <summary>Sessions of an earlier run are still working on the target.</summary>
    StaleSessions,
    /// <summary>The target holds part of a phase that should be all or nothing.</summary>
    PartialPhase,
    /// <summary>The archive's owners cannot be set on the target by the restoring role.</summary>
    Ownership,
    /// <summary>The target database does not exist, and the restore was not asked to create it.</summary>
    TargetMissing,
    /// <summary>The target database already holds objects that phase 1 would run into.</summary>
    TargetNotEmpty,
    /// <summary>The journal says phases completed from this archive already.</summary>
    AlreadyRestored,
    /// <summary>A phase was interrupted; running it from its start could load rows twice.</summary>
    Interrupted,
    /// <summary>The target's journal belongs to a restore of another archive.</summary>
    OtherArchive,
    /// <summary>Tables the data phase would load already hold rows.</summary>
    TablesHoldRows,
}

/// <summary>A restore could not start or went wrong as a whole: busy target, non-empty target, journal conflict.</summary>
public sealed class RestoreException : Exception
{
    public RestoreException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>A whole-restore failure of a kind hosts word with their own flags or parameters.</summary>
    public RestoreException(string message, RestoreFailure kind) : base(message) => Kind = kind;

    /// <summary>What went wrong, for hosts that map failures to categories or exit codes.</summary>
    public RestoreFailure Kind { get; }
}
