using Npgsql;

namespace PgPhaseRestore.Engine.Tools;

/// <summary>
/// A connection that could not be opened, described in one line: user@host:port/database, what went wrong and
/// what to do. An <see cref="NpgsqlException"/>, so code that handles Npgsql's failures handles it too; the
/// original error stays as the inner exception.
/// </summary>
public sealed class PgConnectionException : NpgsqlException
{
    public PgConnectionException(string message, Exception inner) : base(message, inner)
    {
        Detail = message;
    }

    public PgConnectionException(string target, string detail, Exception inner) : base($"cannot connect to {target}: {detail}", inner)
    {
        Target = target;
        Detail = detail;
    }

    /// <summary>user@host:port/database, when the failure is about one connection.</summary>
    public string? Target { get; }

    /// <summary>What went wrong and what to do, without the target (for messages that name it their own way).</summary>
    public string Detail { get; }

    /// <summary>The server's error code when the server refused (28P01, 3D000...), else null.</summary>
    public override string? SqlState => (InnerException as PostgresException)?.SqlState;

    public override bool IsTransient => InnerException is NpgsqlException { IsTransient: true };
}
