using System.Management.Automation;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>Maps engine failures to ErrorRecords with stable ErrorIds and categories, so scripts can catch them by id.</summary>
public static class ErrorRecords
{
    public const string ArchiveInvalid = "PgPhaseRestore.ArchiveInvalid";
    public const string ArchiveUnreachable = "PgPhaseRestore.ArchiveUnreachable";
    public const string InvalidArgument = "PgPhaseRestore.InvalidArgument";
    public const string OperationFailed = "PgPhaseRestore.OperationFailed";
    public const string BackupFailed = "PgPhaseRestore.BackupFailed";
    public const string RestoreFailed = "PgPhaseRestore.RestoreFailed";
    public const string ConnectionFailed = "PgPhaseRestore.ConnectionFailed";

    /// <summary>The record for an engine failure, with the parameters that answer it as its RecommendedAction (<see cref="RecommendedActions"/>).</summary>
    public static ErrorRecord From(Exception ex, object? target) => RecommendedActions.Apply(Record(ex, target), ex);

    private static ErrorRecord Record(Exception ex, object? target) => ex switch
    {
        ArchiveFormatException => new ErrorRecord(ex, ArchiveInvalid, ErrorCategory.InvalidData, target),
        ArchiveSourceException { Problem: ArchiveSourceProblem.AccessDenied } =>
            new ErrorRecord(ex, ArchiveUnreachable, ErrorCategory.PermissionDenied, target),
        ArchiveSourceException { Problem: ArchiveSourceProblem.Unreachable } =>
            new ErrorRecord(ex, ArchiveUnreachable, ErrorCategory.ConnectionError, target),
        ArchiveSourceException { Problem: ArchiveSourceProblem.NoCredentials } =>
            new ErrorRecord(ex, ArchiveUnreachable, ErrorCategory.AuthenticationError, target),
        ArchiveSourceException { Problem: ArchiveSourceProblem.AlreadyExists } =>
            new ErrorRecord(ex, ArchiveUnreachable, ErrorCategory.ResourceExists, target),
        ArchiveSourceException => new ErrorRecord(ex, ArchiveUnreachable, ErrorCategory.ObjectNotFound, target),
        ArgumentException => new ErrorRecord(ex, InvalidArgument, ErrorCategory.InvalidArgument, target),
        Engine.Backup.BackupException { Kind: Engine.Backup.BackupFailure.Exists } =>
            new ErrorRecord(ex, BackupFailed, ErrorCategory.ResourceExists, target),
        Engine.Backup.BackupException b when b.Message.Contains("another backup is writing here", StringComparison.Ordinal) =>
            new ErrorRecord(ex, BackupFailed, ErrorCategory.ResourceBusy, target),
        Engine.Backup.BackupException => new ErrorRecord(ex, BackupFailed, ErrorCategory.WriteError, target),
        Engine.Restore.RestoreException => new ErrorRecord(ex, RestoreFailed, ErrorCategory.WriteError, target),
        System.Data.Common.DbException => new ErrorRecord(ex, ConnectionFailed, ErrorCategory.ConnectionError, target),
        OperationCanceledException => new ErrorRecord(ex, "PgPhaseRestore.Cancelled", ErrorCategory.OperationStopped, target),
        _ => new ErrorRecord(ex, OperationFailed, ErrorCategory.NotSpecified, target),
    };

    /// <summary>Failures that concern one input and let the pipeline go on with the next.</summary>
    public static bool IsPerInput(Exception ex) => ex is ArchiveFormatException or ArchiveSourceException or ArgumentException;

    /// <summary>Failures of one database's backup or copy: the loop over databases goes on with the next one.</summary>
    public static bool IsPerDatabase(Exception ex) => IsPerInput(ex) || ex is Engine.Backup.BackupException or Engine.Restore.RestoreException
        or System.Data.Common.DbException or InvalidOperationException or IOException;
}
