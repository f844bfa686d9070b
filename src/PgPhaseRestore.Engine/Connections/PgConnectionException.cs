using Npgsql;

namespace PgPhaseRestore.Engine.Connections;

/// <summary>
/// A connection that could not be opened, described in one line: user@host:port/database, what went wrong and
/// what to do. The original error (Npgsql's, a socket's, a TLS handshake's) stays as the inner exception.
/// </summary>
public sealed class PgConnectionException : PgPhaseException
{
    /// <summary>A failure described in <paramref name="message"/>, of the kind of <paramref name="inner"/>.</summary>
    internal PgConnectionException(string message, Exception inner) : base(message, inner)
    {
        Detail = message;
    }

    /// <summary>A failure to connect to <paramref name="target"/>, of the given kind.</summary>
    internal PgConnectionException(string target, string detail, PgPhaseErrorKind kind, Exception inner, string? origin = null) : base($"cannot connect to {target}: {detail}", kind, inner)
    {
        Target = target;
        Detail = detail;
        Origin = origin;
    }

    /// <summary>user@host:port/database, when the failure is about one connection.</summary>
    public string? Target { get; }

    /// <summary>What went wrong and what to do, without the target (for messages that name it their own way).</summary>
    public string Detail { get; }

    /// <summary>The <see cref="PgConnectionInfo.Origin"/> of the connection that failed: what its host calls it, or null.</summary>
    public string? Origin { get; }

    /// <summary>The server's error code when the server refused (28P01, 3D000...), else null.</summary>
    public string? SqlState => (InnerException as PostgresException)?.SqlState;
}
