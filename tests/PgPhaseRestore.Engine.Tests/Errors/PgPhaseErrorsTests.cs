using System.Net;
using Amazon.S3;
using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Swap;

namespace PgPhaseRestore.Engine.Tests.Errors;

/// <summary>
/// One exception base with a kind: every exception the engine declares derives from it, and what reaches a host
/// from .NET, Npgsql or the AWS SDK gets its kind from its type, SQLSTATE or HTTP status and error code.
/// </summary>
public sealed class PgPhaseErrorsTests
{
    [Fact]
    public void Every_exception_the_engine_declares_is_a_PgPhaseException()
    {
        var own = typeof(PgPhaseException).Assembly.GetTypes()
            .Where(t => typeof(Exception).IsAssignableFrom(t) && t != typeof(PgPhaseException))
            // Signals inside a call chain that expects its own types: raised inside the AWS SDK's credential resolution
            // (reported as ArchiveSourceException), and a part stored with other bytes, retried as a transfer error.
            .Where(t => t != typeof(DefaultChainCredentials.NotFoundException) && t.FullName != "PgPhaseRestore.Engine.Storage.S3MultipartUpload+PartDigestMismatchException")
            .ToList();
        Assert.NotEmpty(own);
        Assert.All(own, t => Assert.True(t.IsSubclassOf(typeof(PgPhaseException)), $"{t.FullName} does not derive from PgPhaseException"));
    }

    [Theory]
    [InlineData(PostgresErrorCodes.InvalidPassword, PgPhaseErrorKind.Authentication)]
    [InlineData(PostgresErrorCodes.InvalidAuthorizationSpecification, PgPhaseErrorKind.Authentication)]
    [InlineData(PostgresErrorCodes.InsufficientPrivilege, PgPhaseErrorKind.Permission)]
    [InlineData(PostgresErrorCodes.InvalidCatalogName, PgPhaseErrorKind.NotFound)]
    [InlineData(PostgresErrorCodes.UndefinedTable, PgPhaseErrorKind.NotFound)]
    [InlineData(PostgresErrorCodes.DuplicateDatabase, PgPhaseErrorKind.AlreadyExists)]
    [InlineData(PostgresErrorCodes.TooManyConnections, PgPhaseErrorKind.Busy)]
    [InlineData(PostgresErrorCodes.ObjectInUse, PgPhaseErrorKind.Busy)]
    [InlineData(PostgresErrorCodes.AdminShutdown, PgPhaseErrorKind.Connection)]
    [InlineData(PostgresErrorCodes.ConnectionFailure, PgPhaseErrorKind.Connection)]
    [InlineData(PostgresErrorCodes.SyntaxError, PgPhaseErrorKind.Failed)]
    public void Server_errors_are_classified_by_SQLSTATE(string sqlState, PgPhaseErrorKind kind)
    {
        Assert.Equal(kind, PgPhaseErrors.KindOfSqlState(sqlState));
        Assert.Equal(kind, PgPhaseErrors.KindOf(new PostgresException("any words at all", "FATAL", "FATAL", sqlState)));
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound, "NoSuchKey", PgPhaseErrorKind.NotFound)]
    [InlineData(HttpStatusCode.NotFound, "", PgPhaseErrorKind.NotFound)]
    [InlineData(HttpStatusCode.Forbidden, "AccessDenied", PgPhaseErrorKind.Permission)]
    [InlineData(HttpStatusCode.Forbidden, "", PgPhaseErrorKind.Permission)]
    [InlineData(HttpStatusCode.Forbidden, "SignatureDoesNotMatch", PgPhaseErrorKind.Authentication)]
    [InlineData(HttpStatusCode.Forbidden, "InvalidAccessKeyId", PgPhaseErrorKind.Authentication)]
    [InlineData(HttpStatusCode.BadRequest, "ExpiredToken", PgPhaseErrorKind.Authentication)]
    [InlineData(HttpStatusCode.PreconditionFailed, "PreconditionFailed", PgPhaseErrorKind.AlreadyExists)]
    [InlineData(HttpStatusCode.ServiceUnavailable, "SlowDown", PgPhaseErrorKind.Busy)]
    [InlineData(HttpStatusCode.BadRequest, "InvalidArgument", PgPhaseErrorKind.Failed)]
    public void S3_errors_are_classified_by_error_code_then_HTTP_status(HttpStatusCode status, string code, PgPhaseErrorKind kind)
    {
        var ex = new AmazonS3Exception("any words at all") { StatusCode = status, ErrorCode = code };
        Assert.Equal(kind, PgPhaseErrors.KindOf(ex));
    }

    [Fact]
    public void Exceptions_from_outside_the_engine_are_classified_by_type_and_the_unexpected_are_not()
    {
        Assert.Equal(PgPhaseErrorKind.Cancelled, PgPhaseErrors.KindOf(new OperationCanceledException()));
        Assert.Equal(PgPhaseErrorKind.Cancelled, PgPhaseErrors.KindOf(new TaskCanceledException()));
        Assert.Equal(PgPhaseErrorKind.InvalidInput, PgPhaseErrors.KindOf(new ArgumentException("x")));
        Assert.Equal(PgPhaseErrorKind.Connection, PgPhaseErrors.KindOf(new NpgsqlException("x")));
        Assert.Equal(PgPhaseErrorKind.NotFound, PgPhaseErrors.KindOf(new DirectoryNotFoundException("x")));
        Assert.Equal(PgPhaseErrorKind.Failed, PgPhaseErrors.KindOf(new IOException("x")));
        Assert.Null(PgPhaseErrors.KindOf(new NullReferenceException()));
        Assert.Null(PgPhaseErrors.KindOf(null));
    }

    [Fact]
    public void Engine_exceptions_carry_the_kind_of_what_they_say()
    {
        Assert.Equal(PgPhaseErrorKind.DamagedArchive, new ArchiveFormatException("a.dump", 0, "not an archive").Kind);
        Assert.Equal(PgPhaseErrorKind.NotFound, new ArchiveSourceException("a.dump", "no such file", kind: ArchiveSourceProblem.NotFound).Kind);
        Assert.Equal(PgPhaseErrorKind.Authentication, new ArchiveSourceException("s3://b/k", "no credentials", kind: ArchiveSourceProblem.NoCredentials).Kind);
        Assert.Equal(PgPhaseErrorKind.Busy, new RestoreException("busy", RestoreFailure.Busy).Kind);
        Assert.Equal(PgPhaseErrorKind.Permission, new RestoreException("owners", RestoreFailure.Ownership).Kind);
        Assert.Equal(PgPhaseErrorKind.Busy, new SwapException("sessions", SwapFailure.Sessions).Kind);
        Assert.Equal(PgPhaseErrorKind.InvalidInput, new PlanException("entry in two phases").Kind);
        // A wrapper takes the kind of what it wraps.
        var refused = new PostgresException("permission denied", "ERROR", "ERROR", PostgresErrorCodes.InsufficientPrivilege);
        Assert.Equal(PgPhaseErrorKind.Permission, new BackupException("could not read the source", refused).Kind);
        Assert.Equal(PgPhaseErrorKind.Failed, new BackupException("pg_dump failed").Kind);
    }
}
