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
/// One exception with one code, its kind following from the code: the engine declares no other, and what reaches a
/// host from .NET, Npgsql or the AWS SDK gets its code from its type, SQLSTATE or HTTP status and error code.
/// </summary>
public sealed class PgPhaseErrorsTests
{
    [Fact]
    public void Every_exception_the_engine_declares_is_a_PgPhaseException()
    {
        var own = typeof(PgPhaseException).Assembly.GetTypes()
            .Where(t => typeof(Exception).IsAssignableFrom(t))
            // Signals inside a call chain that expects its own types: raised inside the AWS SDK's credential resolution
            // (reported as PgPhaseException), and a part stored with other bytes, retried as a transfer error.
            .Where(t => t != typeof(DefaultChainCredentials.NotFoundException) && t.FullName != "PgPhaseRestore.Engine.Storage.S3MultipartUpload+PartDigestMismatchException")
            .ToList();
        Assert.NotEmpty(own);
        Assert.All(own, t => Assert.True(t == typeof(PgPhaseException), $"{t.FullName} is not PgPhaseException"));
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
        Assert.Equal(PgPhaseErrorKind.Connection, PgPhaseErrors.KindOf(new NpgsqlException("x")));
        Assert.Equal(PgPhaseErrorKind.NotFound, PgPhaseErrors.KindOf(new DirectoryNotFoundException("x")));
        Assert.Equal(PgPhaseErrorKind.Failed, PgPhaseErrors.KindOf(new IOException("x")));
        Assert.Null(PgPhaseErrors.KindOf(new NullReferenceException()));
        // The engine refuses bad input with its own exception; .NET's argument and state exceptions reaching a host
        // mean the engine called something wrongly.
        Assert.Null(PgPhaseErrors.KindOf(new ArgumentException("x")));
        Assert.Null(PgPhaseErrors.KindOf(new ArgumentOutOfRangeException("x")));
        Assert.Null(PgPhaseErrors.KindOf(new InvalidOperationException("x")));
        Assert.Null(PgPhaseErrors.KindOf(null));
    }

    [Fact]
    public void At_the_public_boundary_expected_failures_become_the_engines_own_and_bugs_pass_unchanged()
    {
        var broken = new NpgsqlException("connection broken");
        Assert.True(PgPhaseErrors.Translates(broken, out var own));
        Assert.Equal((PgPhaseErrorCode.Connection, "connection broken"), (own.Code, own.Message));
        Assert.Same(broken, own.InnerException);
        Assert.False(PgPhaseErrors.Translates(new NullReferenceException(), out _));
        Assert.False(PgPhaseErrors.Translates(new OperationCanceledException(), out _));
        Assert.False(PgPhaseErrors.Translates(new PgPhaseException("m", PgPhaseErrorCode.Busy), out _));
    }

    [Fact]
    public void Engine_exceptions_carry_the_kind_of_what_they_say()
    {
        Assert.Equal(PgPhaseErrorKind.DamagedArchive, PgPhaseException.Format("a.dump", 0, "not an archive").Kind);
        Assert.Equal(PgPhaseErrorKind.NotFound, PgPhaseException.Storage("a.dump", "no such file", code: PgPhaseErrorCode.ArchiveNotFound).Kind);
        Assert.Equal(PgPhaseErrorKind.Authentication, PgPhaseException.Storage("s3://b/k", "no credentials", code: PgPhaseErrorCode.ArchiveNoCredentials).Kind);
        Assert.Equal(PgPhaseErrorKind.Busy, new PgPhaseException("busy", PgPhaseErrorCode.RestoreBusy).Kind);
        Assert.Equal(PgPhaseErrorKind.Permission, new PgPhaseException("owners", PgPhaseErrorCode.Ownership).Kind);
        Assert.Equal(PgPhaseErrorKind.Busy, new PgPhaseException("sessions", PgPhaseErrorCode.SwapSessions).Kind);
        Assert.Equal(PgPhaseErrorKind.InvalidInput, new PgPhaseException("entry in two phases", PgPhaseErrorCode.PlanInvalid).Kind);
        // A wrapper takes the kind of what it wraps.
        var refused = new PostgresException("permission denied", "ERROR", "ERROR", PostgresErrorCodes.InsufficientPrivilege);
        Assert.Equal(PgPhaseErrorKind.Permission, PgPhaseException.Wrap("could not read the source", refused, PgPhaseErrorCode.BackupFailed).Kind);
        Assert.Equal(PgPhaseErrorKind.Failed, new PgPhaseException("pg_dump failed", PgPhaseErrorCode.BackupFailed).Kind);
    }
}
