using System.Management.Automation;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Replace;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Verification;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// Engine failures as ErrorRecords: a stable ErrorId for the operation that failed, so scripts can catch them by id,
/// and the category of the failure's kind. Kinds become categories here and nowhere else.
/// </summary>
internal static class ErrorRecords
{
    /// <summary>The input is not a readable pg_dump archive, or a manifest marks no complete backup.</summary>
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

    /// <summary>A change that asks for confirmation, in a session that cannot ask: nothing was changed.</summary>
    public const string ConfirmationNeeded = "PgPhaseRestore.ConfirmationNeeded";

    /// <summary>The command was stopped.</summary>
    public const string Cancelled = "PgPhaseRestore.Cancelled";

    /// <summary>A name given without wildcards matched nothing.</summary>
    public const string NameNotFound = "PgPhaseRestore.NameNotFound";

    /// <summary>A failure that is not the engine's own: a bug in PgPhaseRestore, never an ordinary failure of the input.</summary>
    public const string Bug = "PgPhaseRestore.Bug";

    /// <summary>
    /// The record for a failure of an engine call: the engine's own with the ErrorId and category of its code, and
    /// anything else as a bug (<see cref="Bug"/>), saying so.
    /// </summary>
    public static ErrorRecord From(Exception ex, object? target) => ex switch
    {
        PgPhaseException or OperationCanceledException => RecommendedActions.Apply(new ErrorRecord(ex, IdOf(ex), CategoryOf(PgPhaseErrors.KindOf(ex)), target), ex),
        _ => new ErrorRecord(ex, Bug, CategoryOf(null), target) { ErrorDetails = new ErrorDetails(BugMessage(ex)) },
    };

    /// <summary>
    /// The record for parameters refused before the operation starts: by the engine as it reads them, or by the
    /// cmdlet itself (an <see cref="ArgumentException"/> of its own, as for S3 keys given twice).
    /// </summary>
    public static ErrorRecord FromInput(Exception ex, object? target) => ex is ArgumentException
        ? new(ex, InvalidArgument, ErrorCategory.InvalidArgument, target) { ErrorDetails = new ErrorDetails(ex.Message) }
        : From(ex, target);

    /// <summary>
    /// The record for a name without wildcards that matched nothing, as Get-Item and Get-Process give it: ObjectNotFound,
    /// the name as its target, and <paramref name="action"/> naming the parameter it was given to. A pattern that
    /// matches nothing is no error: a loop over its matches then has none.
    /// </summary>
    public static ErrorRecord NotFound(string message, string name, string action) =>
        WithAction(new ItemNotFoundException(message), NameNotFound, ErrorCategory.ObjectNotFound, name, action);

    /// <summary>A record the module raises itself, its message followed by <paramref name="action"/>, which is also its RecommendedAction.</summary>
    public static ErrorRecord WithAction(Exception ex, string id, ErrorCategory category, object? target, string action) =>
        new(ex, id, category, target) { ErrorDetails = new ErrorDetails(RecommendedActions.Message(ex, action)) { RecommendedAction = action } };

    /// <summary>One line that says a failure is a bug, what it was, and to report it; never a stack trace.</summary>
    internal static string BugMessage(Exception ex) =>
        $"This is a bug in PgPhaseRestore, not a problem with what was asked: {ex.GetType().FullName}: " +
        $"{ex.Message.Split('\n', 2)[0].TrimEnd('\r', ' ', '.')}. Please report it with this message.";

    /// <summary>
    /// The record for a phase that finished with errors (the phase result is the target): InvalidData when the
    /// archive's bytes are at fault, so a runbook can tell a damaged backup from a failed restore.
    /// </summary>
    public static ErrorRecord From(RestoreError error, object phase, string action)
    {
        var ex = error.ToException();
        return RecommendedActions.Apply(new ErrorRecord(ex, PhaseFailed, CategoryOf(ex.Kind), phase), ex, action);
    }

    /// <summary>
    /// What to do about a phase that failed for a reason no parameter answers (a statement the server refused). Phases
    /// 1, 2 and 4 run as one transaction each, so nothing of the failed one stayed, and the data phase records each
    /// table as its rows commit: a resumed run goes on from there. With -ContinueOnError the phase went on past the
    /// statement, and what it left out is the operator's to add.
    /// </summary>
    public static string PhaseAction(bool continueOnError) => continueOnError
        ? "The phase went on without it (-ContinueOnError): create what the message names in the target by hand, or restore again into a new database without -ContinueOnError."
        : "Correct what the message names, then run the same restore again with -Resume: the phases and tables that completed are not run again.";

    /// <summary>
    /// What to do when the restore of a copy failed: the backup is kept, so the restore goes on from it, into the same
    /// target, with the restore parameters the copy was given (the plan must match the one that started).
    /// </summary>
    public static string CopyPhaseAction(string location, string target) =>
        $"Correct what the message names, then restore the backup this copy made: Invoke-PgPhaseRestore -LiteralPath {PowerShellText.SingleQuoted(location)} -TargetConnection {PowerShellText.SingleQuoted(target)} -Resume, " +
        "with the restore parameters the copy was given (-NoOwner, -Strategy, -MemoryBudget, the selection): what completed is not run again.";

    /// <summary>
    /// The record for a replace that restored or verified with differences and so did not swap: the live database is
    /// untouched either way; what is left to do is about the side database.
    /// </summary>
    public static ErrorRecord From(ReplaceResult result) =>
        WithAction(new InvalidOperationException(result.Message), ReplaceFailed, ErrorCategory.InvalidResult, result, result.Status == ReplaceStatus.VerificationFailed
            ? $"Inspect {PowerShellText.SingleQuoted(result.SideDatabase)} (the result's Verification lists every difference); once they are understood, drop it, or swap it in with " +
              $"Switch-PgDatabase -Database {PowerShellText.SingleQuoted(result.Database)} -Replacement {PowerShellText.SingleQuoted(result.SideDatabase)} and -ServerConnection naming the same server."
            : $"Correct what the message names, then run the same Invoke-PgPhaseRestore -ReplaceDatabase again: it continues the restore into {PowerShellText.SingleQuoted(result.SideDatabase)}.");

    /// <summary>
    /// The record for a target that differs from its archive: the verdict and the first difference, on one line, and
    /// what to check before restoring again: the database named, a restore limited on purpose, or a source that changed.
    /// </summary>
    public static ErrorRecord From(VerificationResult result) =>
        WithAction(new InvalidDataException($"{result}; first: {result.Differences[0]}"), VerificationFailed, ErrorCategory.InvalidResult, result,
            "Check that -TargetConnection names the database the archive in -Path was restored into, and whether that restore left objects out on purpose " +
            "(a selection, some phases, a list file) or the rows counted in -SourceConnection changed since the dump (-RowCount None counts none); otherwise restore it again into an empty database.");

    /// <summary>The engine's own failures, reported as records; a stop propagates as PowerShell expects.</summary>
    public static bool IsExpected(Exception ex) => ex is PgPhaseException { Kind: not PgPhaseErrorKind.Cancelled };

    /// <summary>
    /// What a cmdlet reports as a record rather than letting through: the engine's own failures as such and anything
    /// else as a bug (<see cref="From(Exception, object?)"/>). A stop and PowerShell's own flow (a pipeline stopped,
    /// -ErrorAction Stop on a record written inside the call, a terminating error) pass through as PowerShell expects.
    /// </summary>
    public static bool IsReported(Exception ex) => ex is not (OperationCanceledException or RuntimeException);

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
        PgPhaseException own => IdOf(own),
        OperationCanceledException => Cancelled,
        _ => Bug,
    };

    /// <summary>The ErrorId of each code, by the range it is in (see <see cref="PgPhaseErrorCode"/>).</summary>
    private static string IdOf(PgPhaseException ex) => ex.Code switch
    {
        PgPhaseErrorCode.InvalidInput or PgPhaseErrorCode.NameTooLong or PgPhaseErrorCode.ListFileInvalid => InvalidArgument,
        PgPhaseErrorCode.Cancelled => Cancelled,
        // An archive whose bytes are not what was written, found before a phase reads them.
        PgPhaseErrorCode.DamagedArchive => ArchiveInvalid,
        // A server's own error, as the engine classified it.
        < PgPhaseErrorCode.RestoreFailed when ex.InnerException is System.Data.Common.DbException => ConnectionFailed,
        >= PgPhaseErrorCode.RestoreFailed and < PgPhaseErrorCode.SwapState => RestoreFailed,
        >= PgPhaseErrorCode.SwapState and < PgPhaseErrorCode.BackupFailed => SwapRefused,
        >= PgPhaseErrorCode.BackupFailed and < PgPhaseErrorCode.ArchiveUnreadable => BackupFailed,
        >= PgPhaseErrorCode.ArchiveUnreadable and < PgPhaseErrorCode.NotAnArchive => ArchiveUnreachable,
        >= PgPhaseErrorCode.NotAnArchive and < PgPhaseErrorCode.PlanInvalid => ArchiveInvalid,
        >= PgPhaseErrorCode.ServerUnreachable => ConnectionFailed,
        _ => OperationFailed,
    };
}
