using System.Text.Json.Serialization;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>How a phase ended.</summary>
public enum PhaseStatus
{
    /// <summary>pg_restore finished without errors.</summary>
    Succeeded,

    /// <summary>pg_restore reported errors, or the phase could not finish.</summary>
    Failed,

    /// <summary>Done already: an earlier run completed it.</summary>
    Skipped,

    /// <summary>Stopped on request.</summary>
    Cancelled,

    /// <summary>Not run: an earlier phase failed.</summary>
    NotRun,
}

/// <summary>A failure pg_restore reported, with the TOC entry it was working on.</summary>
/// <param name="DumpId">The TOC entry pg_restore was working on, when it said.</param>
/// <param name="Entry">That entry as pg_restore names it: type and name.</param>
/// <param name="Message">What went wrong, in pg_restore's words (connection failures rewritten to say what to do).</param>
public sealed record RestoreError(int? DumpId, string? Entry, string Message)
{
    /// <summary>The message, with the TOC entry it concerns when known.</summary>
    public override string ToString() => DumpId is null ? Message : $"TOC entry {DumpId} ({Entry}): {Message}";
}

/// <summary>The outcome of one phase.</summary>
public sealed class PhaseResult
{
    /// <summary>1 schema, 2 indexes, 3 data, 4 post-data.</summary>
    public required int Phase { get; init; }

    /// <summary>Schema, Indexes, Data or PostData.</summary>
    public required string Name { get; init; }

    /// <summary>How the phase ended.</summary>
    public required PhaseStatus Status { get; init; }

    /// <summary>The target, user@host:port/database (no password).</summary>
    public required string Target { get; init; }

    /// <summary>The archive restored from.</summary>
    public required string Source { get; init; }

    /// <summary>When the phase started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>How long the phase took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Entries the phase ran.</summary>
    public int Entries { get; init; }

    /// <summary>Tables loaded by this run of the phase (phase 3).</summary>
    public int TablesLoaded { get; init; }

    /// <summary>What went wrong (or, after a success, the warnings pg_restore printed).</summary>
    public IReadOnlyList<RestoreError> Errors { get; init; } = [];

    /// <summary>How many errors (or warnings) there are; a column of the table view.</summary>
    [JsonIgnore]
    public int ErrorCount => Errors.Count;

    /// <summary>Why the phase was skipped or had nothing to do.</summary>
    public string? Note { get; init; }

    /// <summary>Phase, status, duration, entries and errors on one line.</summary>
    public override string ToString() => $"Phase {Phase} {Name}: {Status} in {Duration.TotalSeconds:F1} s ({Plural.Of(Entries, "entry")}, {Plural.Of(Errors.Count, "error")})";
}

/// <summary>Progress of a running restore, reported per phase and per item.</summary>
/// <param name="Phase">1 schema, 2 indexes, 3 data, 4 post-data.</param>
/// <param name="PhaseName">Schema, Indexes, Data or PostData.</param>
/// <param name="ItemsDone">Entries (phase 3: tables) done so far.</param>
/// <param name="ItemsTotal">Entries (phase 3: tables) in the phase.</param>
/// <param name="Activity">What is happening now, in words.</param>
public sealed record RestoreProgress(int Phase, string PhaseName, int ItemsDone, int ItemsTotal, string Activity)
{
    /// <summary>Phase, status, duration, entries and errors on one line.</summary>
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
/// <param name="BytesDone">Bytes of the phase's data done, as stored in the archive.</param>
/// <param name="BytesTotal">Bytes of all the phase's data, as stored in the archive.</param>
/// <param name="BytesPerSecond">The rate this run has loaded at so far.</param>
/// <param name="Remaining">The time left at that rate, when it can be told.</param>
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
        RestoreFailure.TargetMissing => PgPhaseErrorKind.NotFound,
        RestoreFailure.TargetNotEmpty or RestoreFailure.AlreadyRestored or RestoreFailure.Interrupted or RestoreFailure.OtherArchive
            or RestoreFailure.TablesHoldRows => PgPhaseErrorKind.Conflict,
        _ => PgPhaseErrorKind.Failed,
    };
}
