using System.Net.Http;
using System.Net.Sockets;
using Amazon.Runtime;
using Npgsql;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine;

/// <summary>
/// The codes and kinds of failures. The engine's own exceptions carry their code; what comes through from .NET,
/// Npgsql or the AWS SDK is classified by type, SQLSTATE and HTTP status, never by its text, and turned into a
/// <see cref="PgPhaseException"/> where a public engine call returns to its host (<see cref="AtBoundaryAsync{T}"/>).
/// </summary>
public static class PgPhaseErrors
{
    /// <summary>The kind of <paramref name="ex"/>, or null when it is not a failure the engine expects (a bug).</summary>
    public static PgPhaseErrorKind? KindOf(Exception? ex) => CodeOf(ex) is { } code ? KindOf(code) : null;

    /// <summary>The kind each code is reported as.</summary>
    public static PgPhaseErrorKind KindOf(PgPhaseErrorCode code) => code switch
    {
        PgPhaseErrorCode.InvalidInput or PgPhaseErrorCode.NameTooLong or PgPhaseErrorCode.PlanInvalid or PgPhaseErrorCode.ListFileInvalid or PgPhaseErrorCode.ArchiveNoRegion or PgPhaseErrorCode.ArchiveProfileNotFound
            => PgPhaseErrorKind.InvalidInput,
        PgPhaseErrorCode.Connection or PgPhaseErrorCode.ArchiveUnreachable or PgPhaseErrorCode.ArchiveBucketHostUnknown
            or PgPhaseErrorCode.ServerUnreachable => PgPhaseErrorKind.Connection,
        PgPhaseErrorCode.Authentication or PgPhaseErrorCode.ArchiveNoCredentials or PgPhaseErrorCode.ArchiveCredentialsRejected
            or PgPhaseErrorCode.LoginFailed => PgPhaseErrorKind.Authentication,
        PgPhaseErrorCode.Permission or PgPhaseErrorCode.Ownership or PgPhaseErrorCode.SwapNotPermitted or PgPhaseErrorCode.SwapSessionsUnendable
            or PgPhaseErrorCode.ArchiveAccessDenied or PgPhaseErrorCode.ConnectNotPermitted => PgPhaseErrorKind.Permission,
        PgPhaseErrorCode.NotFound or PgPhaseErrorCode.TargetMissing or PgPhaseErrorCode.SwapDatabaseMissing or PgPhaseErrorCode.NothingToReplace
            or PgPhaseErrorCode.ArchiveNotFound or PgPhaseErrorCode.ConnectNotFound => PgPhaseErrorKind.NotFound,
        PgPhaseErrorCode.DamagedArchive or PgPhaseErrorCode.NotAnArchive or PgPhaseErrorCode.NotABackup => PgPhaseErrorKind.DamagedArchive,
        PgPhaseErrorCode.AlreadyExists or PgPhaseErrorCode.BackupExists or PgPhaseErrorCode.ArchiveAlreadyExists => PgPhaseErrorKind.AlreadyExists,
        PgPhaseErrorCode.Conflict or PgPhaseErrorCode.Pooler or PgPhaseErrorCode.PartialPhase or PgPhaseErrorCode.TargetNotEmpty
            or PgPhaseErrorCode.AlreadyRestored or PgPhaseErrorCode.Interrupted or PgPhaseErrorCode.OtherArchive or PgPhaseErrorCode.TablesHoldRows
            or PgPhaseErrorCode.SelectionChanged or PgPhaseErrorCode.PlanChanged or PgPhaseErrorCode.RestoreComplete
            or PgPhaseErrorCode.SchemaWithoutRows or PgPhaseErrorCode.DataUnfinished
            or PgPhaseErrorCode.SwapState => PgPhaseErrorKind.Conflict,
        PgPhaseErrorCode.Busy or PgPhaseErrorCode.RestoreBusy or PgPhaseErrorCode.LockLost or PgPhaseErrorCode.StaleSessions
            or PgPhaseErrorCode.SwapSessions or PgPhaseErrorCode.SwapBusy or PgPhaseErrorCode.ServerBusy or PgPhaseErrorCode.BackupBusy
            or PgPhaseErrorCode.SourceLocked => PgPhaseErrorKind.Busy,
        PgPhaseErrorCode.Cancelled => PgPhaseErrorKind.Cancelled,
        _ => PgPhaseErrorKind.Failed,
    };

    /// <summary>The code of <paramref name="ex"/>, or null when it is not a failure the engine expects (a bug).</summary>
    internal static PgPhaseErrorCode? CodeOf(Exception? ex) => ex switch
    {
        null => null,
        PgPhaseException own => own.Code,
        OperationCanceledException => PgPhaseErrorCode.Cancelled,
        PostgresException pg => General(KindOfSqlState(pg.SqlState)),
        // No answer from the server, or the connection broke mid-operation.
        NpgsqlException or TimeoutException or SocketException or HttpRequestException => PgPhaseErrorCode.Connection,
        AmazonServiceException s3 => General(S3Errors.KindOf(s3)),
        AmazonClientException => PgPhaseErrorCode.Connection,
        FileNotFoundException or DirectoryNotFoundException => PgPhaseErrorCode.NotFound,
        UnauthorizedAccessException => PgPhaseErrorCode.Permission,
        // A file system's own failure (disk full, a device error) is the machine's, not a bug.
        IOException => PgPhaseErrorCode.Failed,
        // ArgumentException and InvalidOperationException are not here: the engine refuses bad input and bad states
        // with its own exception, so either one reaching a host is the engine calling something wrongly.
        _ => null,
    };

    /// <summary>
    /// The one translation at the engine's public boundary, the catch filter of <see cref="AtBoundaryAsync{T}"/>: true, with the
    /// <see cref="PgPhaseException"/> of its code and the original inside, for a failure from .NET, Npgsql or the AWS
    /// SDK that the engine expects; false for the engine's own, a stop on request and a bug, which pass unchanged.
    /// </summary>
    internal static bool Translates(Exception ex, out PgPhaseException own)
    {
        own = null!;
        if (ex is PgPhaseException or OperationCanceledException || CodeOf(ex) is not { } code)
            return false;
        own = new PgPhaseException(ex.Message, code, ex);
        return true;
    }

    /// <summary>
    /// Where a public operation returns to its host: it runs <paramref name="operation"/> (its body, or the call it
    /// hands on) and applies <see cref="Translates"/> to what that ends with.
    /// </summary>
    internal static async Task<T> AtBoundaryAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (Exception ex) when (Translates(ex, out var own))
        {
            throw own;
        }
    }

    /// <summary>The general code of a kind, for failures that say no more than their kind.</summary>
    internal static PgPhaseErrorCode General(PgPhaseErrorKind kind) => kind switch
    {
        PgPhaseErrorKind.InvalidInput => PgPhaseErrorCode.InvalidInput,
        PgPhaseErrorKind.Connection => PgPhaseErrorCode.Connection,
        PgPhaseErrorKind.Authentication => PgPhaseErrorCode.Authentication,
        PgPhaseErrorKind.Permission => PgPhaseErrorCode.Permission,
        PgPhaseErrorKind.NotFound => PgPhaseErrorCode.NotFound,
        PgPhaseErrorKind.DamagedArchive => PgPhaseErrorCode.DamagedArchive,
        PgPhaseErrorKind.AlreadyExists => PgPhaseErrorCode.AlreadyExists,
        PgPhaseErrorKind.Conflict => PgPhaseErrorCode.Conflict,
        PgPhaseErrorKind.Busy => PgPhaseErrorCode.Busy,
        PgPhaseErrorKind.Cancelled => PgPhaseErrorCode.Cancelled,
        _ => PgPhaseErrorCode.Failed,
    };

    /// <summary>The code of a connection that could not be opened, by its kind.</summary>
    internal static PgPhaseErrorCode ConnectionCode(PgPhaseErrorKind kind) => kind switch
    {
        PgPhaseErrorKind.Connection => PgPhaseErrorCode.ServerUnreachable,
        PgPhaseErrorKind.Authentication => PgPhaseErrorCode.LoginFailed,
        PgPhaseErrorKind.Permission => PgPhaseErrorCode.ConnectNotPermitted,
        PgPhaseErrorKind.NotFound => PgPhaseErrorCode.ConnectNotFound,
        PgPhaseErrorKind.Busy => PgPhaseErrorCode.ServerBusy,
        _ => PgPhaseErrorCode.ConnectFailed,
    };

    /// <summary>The kind of a server error, by its SQLSTATE.</summary>
    internal static PgPhaseErrorKind KindOfSqlState(string? sqlState) => sqlState switch
    {
        PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification => PgPhaseErrorKind.Authentication,
        PostgresErrorCodes.InsufficientPrivilege => PgPhaseErrorKind.Permission,
        PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedObject
            or PostgresErrorCodes.UndefinedFunction or PostgresErrorCodes.InvalidSchemaName => PgPhaseErrorKind.NotFound,
        PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.DuplicateTable => PgPhaseErrorKind.AlreadyExists,
        PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.ObjectInUse or PostgresErrorCodes.LockNotAvailable
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.DeadlockDetected => PgPhaseErrorKind.Busy,
        PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown => PgPhaseErrorKind.Connection,
        // Class 08: connection exception.
        not null when sqlState.StartsWith("08", StringComparison.Ordinal) => PgPhaseErrorKind.Connection,
        _ => PgPhaseErrorKind.Failed,
    };

    /// <summary>
    /// Whether the code is one a restore step raises: a restore's own, or a general one (a step that wraps a cause
    /// takes the cause's general code).
    /// </summary>
    internal static bool IsRestore(PgPhaseErrorCode code) => code < PgPhaseErrorCode.SwapState;

    /// <summary>Whether the code is one of an archive's storage (an archive, folder or bucket out of reach).</summary>
    internal static bool IsStorage(PgPhaseErrorCode code) => code is >= PgPhaseErrorCode.ArchiveUnreadable and <= PgPhaseErrorCode.ArchiveProfileNotFound;

    /// <summary>Whether the code is one of a swap, undo or replace.</summary>
    internal static bool IsSwap(PgPhaseErrorCode code) => code is >= PgPhaseErrorCode.SwapState and <= PgPhaseErrorCode.NothingToReplace;

    /// <summary>Whether the code is one of a connection that could not be opened.</summary>
    internal static bool IsConnect(PgPhaseErrorCode code) => code is >= PgPhaseErrorCode.ServerUnreachable and <= PgPhaseErrorCode.ConnectFailed;
}
