using PgPhaseRestore.Engine.Archive;

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

    public override string ToString() => $"Phase {Phase} {Name}: {Status} in {Duration.TotalSeconds:F1} s ({Entries} entries, {Errors.Count} errors)";
}

/// <summary>Progress of a running restore, reported per phase and per item.</summary>
public sealed record RestoreProgress(int Phase, string PhaseName, int ItemsDone, int ItemsTotal, string Activity)
{
    public int PercentComplete => ItemsTotal <= 0 ? 0 : Math.Min(100, ItemsDone * 100 / ItemsTotal);
}

/// <summary>Which whole-restore refusal a <see cref="RestoreException"/> is, so a host can name the option that helps.</summary>
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
}

/// <summary>A restore could not start or went wrong as a whole: busy target, non-empty target, journal conflict.</summary>
public sealed class RestoreException : PgPhaseException
{
    /// <summary>A failure of the kind of <paramref name="inner"/>, or <see cref="PgPhaseErrorKind.Failed"/>.</summary>
    public RestoreException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>A failure of the given kind.</summary>
    internal RestoreException(string message, PgPhaseErrorKind kind, Exception? inner = null) : base(message, kind, inner) { }

    /// <summary>One of the refusals a host names an option for.</summary>
    internal RestoreException(string message, RestoreFailure failure) : base(message, KindOf(failure)) => Failure = failure;

    /// <summary>Which refusal this is, when it is one a host can name an option for.</summary>
    public RestoreFailure Failure { get; }

    private static PgPhaseErrorKind KindOf(RestoreFailure failure) => failure switch
    {
        RestoreFailure.Busy or RestoreFailure.StaleSessions or RestoreFailure.LockLost => PgPhaseErrorKind.Busy,
        RestoreFailure.Pooler or RestoreFailure.PartialPhase => PgPhaseErrorKind.Conflict,
        RestoreFailure.Ownership => PgPhaseErrorKind.Permission,
        _ => PgPhaseErrorKind.Failed,
    };
}
