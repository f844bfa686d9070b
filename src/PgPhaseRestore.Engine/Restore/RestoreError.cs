namespace PgPhaseRestore.Engine.Restore;

/// <summary>A failure pg_restore reported, with the TOC entry it was working on.</summary>
/// <param name="DumpId">The TOC entry pg_restore was working on, when it said.</param>
/// <param name="Entry">That entry as pg_restore names it: type and name.</param>
/// <param name="Message">What went wrong, in pg_restore's words (connection failures rewritten to say what to do).</param>
public sealed record RestoreError(int? DumpId, string? Entry, string Message)
{
    /// <summary>What went wrong: <see cref="PgPhaseErrorCode.DamagedArchive"/> when the archive's bytes are at fault, else <see cref="PgPhaseErrorCode.RestoreFailed"/> or the cause's own.</summary>
    public PgPhaseErrorCode Code { get; init; } = PgPhaseErrorCode.RestoreFailed;

    /// <summary>The message, with the TOC entry it concerns when known.</summary>
    public override string ToString() => DumpId is null ? Message : $"TOC entry {DumpId} ({Entry}): {Message}";

    /// <summary>The failure as the engine's exception, for hosts that report a failed phase as an error of their own.</summary>
    public PgPhaseException ToException() => new(ToString(), Code);
}
