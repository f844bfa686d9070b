using System.Net.Http;
using System.Net.Sockets;
using Amazon.Runtime;
using Npgsql;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine;

/// <summary>
/// The kind of any failure an engine call lets through: the engine's own exceptions carry theirs; what comes
/// through from .NET, Npgsql or the AWS SDK is classified by type, SQLSTATE and HTTP status, never by its text.
/// </summary>
public static class PgPhaseErrors
{
    /// <summary>The kind of <paramref name="ex"/>, or null when it is not a failure the engine expects (a bug).</summary>
    public static PgPhaseErrorKind? KindOf(Exception? ex) => ex switch
    {
        null => null,
        PgPhaseException own => own.Kind,
        OperationCanceledException => PgPhaseErrorKind.Cancelled,
        ArgumentException => PgPhaseErrorKind.InvalidInput,
        PostgresException pg => KindOfSqlState(pg.SqlState),
        // No answer from the server, or the connection broke mid-operation.
        NpgsqlException or TimeoutException or SocketException or HttpRequestException => PgPhaseErrorKind.Connection,
        AmazonServiceException s3 => S3Errors.KindOf(s3),
        AmazonClientException => PgPhaseErrorKind.Connection,
        FileNotFoundException or DirectoryNotFoundException => PgPhaseErrorKind.NotFound,
        UnauthorizedAccessException => PgPhaseErrorKind.Permission,
        IOException or InvalidOperationException => PgPhaseErrorKind.Failed,
        _ => null,
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
}
