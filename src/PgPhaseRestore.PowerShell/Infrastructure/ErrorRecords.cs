using System.Management.Automation;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Replace;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Swap;
using PgPhaseRestore.Engine.Verification;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// Engine failures as ErrorRecords: a stable ErrorId for the operation that failed, so scripts can catch them by id,
/// and the category of the failure's kind. Kinds become categories here and nowhere else.
/// </summary>
internal static class ErrorRecords
{
    /// <summary>The input is not a readable pg_dump archive.</summary>
    public const string ArchiveInvalid = "PgPhaseRestore.ArchiveInvalid";

    /// <summary>An archive, folder or bucket could not be reached.</summary>
    public const string ArchiveUnreachable = "PgPhaseRestore.ArchiveUnreachable";

    /// <summary>A parameter value the command cannot work with.</summary>
    public const string InvalidArgument = "PgPhaseRestore.InvalidArgument";

    /// <summary>Any other failure of the engine.</summary>
    public const string OperationFailed = "PgPhaseRestore.OperationFailed";

    /// <summary>A backup could not be made.</summary>
    public const string BackupFailed = "PgPhaseRestore.BackupFailed";

    /// <summary>A restore could not start or failed as a whole.</summary>
    public const string RestoreFailed = "PgPhaseRestore.RestoreFailed";

    /// <summary>One phase of a restore reported errors.</summary>
    public const string PhaseFailed = "PgPhaseRestore.PhaseFailed";

    /// <summary>A server could not be reached, or refused a statement.</summary>
    public const string ConnectionFailed = "PgPhaseRestore.ConnectionFailed";

    /// <summary>A swap or undo was refused or stopped.</summary>
    public const string SwapRefused = "PgPhaseRestore.SwapRefused";

    /// <summary>A replace ended without swapping the restored database in.</summary>
    public const string ReplaceFailed = "PgPhaseRestore.ReplaceFailed";

    /// <summary>A restored database differs from its archive.</summary>
    public const string VerificationFailed = "PgPhaseRestore.VerificationFailed";

    /// <summary>The command was stopped.</summary>
    public const string Cancelled = "PgPhaseRestore.Cancelled";

    /// <summary>The record for a failure of an engine call.</summary>
    public static ErrorRecord From(Exception ex, object? target) =>
        RecommendedActions.Apply(new ErrorRecord(ex, IdOf(ex), CategoryOf(PgPhaseErrors.KindOf(ex)), target), ex);

    /// <summary>The record for a phase that finished with errors (the phase result is the target).</summary>
    public static ErrorRecord From(RestoreError error, object phase) =>
        new(new RestoreException(error.ToString()), PhaseFailed, CategoryOf(PgPhaseErrorKind.Failed), phase);

    /// <summary>The record for a replace that restored or verified with differences and so did not swap.</summary>
    public static ErrorRecord From(ReplaceResult result) =>
        new(new InvalidOperationException(result.Message), ReplaceFailed, ErrorCategory.InvalidResult, result);

    /// <summary>The record for a target that differs from its archive: the verdict and the first difference, on one line.</summary>
    public static ErrorRecord From(VerificationResult result) =>
        new(new InvalidDataException($"{result}; first: {result.Differences[0]}"), VerificationFailed, ErrorCategory.InvalidResult, result);

    /// <summary>
    /// Failures an engine call ends with by design, reported as records; a stop propagates as PowerShell expects,
    /// and anything else is a bug that must not pass for an ordinary failure.
    /// </summary>
    public static bool IsExpected(Exception ex) => PgPhaseErrors.KindOf(ex) is { } kind && kind != PgPhaseErrorKind.Cancelled;

    /// <summary>The category of each kind of failure.</summary>
    public static ErrorCategory CategoryOf(PgPhaseErrorKind? kind) => kind switch
    {
        PgPhaseErrorKind.InvalidInput => ErrorCategory.InvalidArgument,
        PgPhaseErrorKind.Connection => ErrorCategory.ConnectionError,
        PgPhaseErrorKind.Authentication => ErrorCategory.AuthenticationError,
        PgPhaseErrorKind.Permission => ErrorCategory.PermissionDenied,
        PgPhaseErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        PgPhaseErrorKind.DamagedArchive => ErrorCategory.InvalidData,
        PgPhaseErrorKind.AlreadyExists => ErrorCategory.ResourceExists,
        PgPhaseErrorKind.Conflict => ErrorCategory.InvalidOperation,
        PgPhaseErrorKind.Busy => ErrorCategory.ResourceBusy,
        PgPhaseErrorKind.Cancelled => ErrorCategory.OperationStopped,
        // What the engine does is write (a restore, a backup, an upload): a failure without a better kind failed writing.
        PgPhaseErrorKind.Failed => ErrorCategory.WriteError,
        _ => ErrorCategory.NotSpecified,
    };

    private static string IdOf(Exception ex) => ex switch
    {
        ArchiveFormatException => ArchiveInvalid,
        ArchiveSourceException => ArchiveUnreachable,
        ArgumentException => InvalidArgument,
        BackupException => BackupFailed,
        RestoreException => RestoreFailed,
        SwapException => SwapRefused,
        PgConnectionException or System.Data.Common.DbException => ConnectionFailed,
        OperationCanceledException => Cancelled,
        _ => OperationFailed,
    };
}
