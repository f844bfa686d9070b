namespace PgPhaseRestore.Engine.Swap;

/// <summary>
/// A session (or prepared transaction) on a database that is about to be renamed: PostgreSQL refuses to rename
/// a database anyone is connected to. <see cref="CanEnd"/> says whether this role may end it with pg_terminate_backend.
/// </summary>
/// <param name="Database">The database the session is connected to.</param>
/// <param name="Pid">The server process id (0 for a prepared transaction).</param>
/// <param name="User">The role it runs as.</param>
/// <param name="Application">Its application_name.</param>
/// <param name="Client">Its client address; null over a local socket or when hidden from this role.</param>
/// <param name="State">What it is doing: active, idle, idle in transaction...</param>
/// <param name="CanEnd">Whether this role may end it with pg_terminate_backend (never for a prepared transaction).</param>
/// <param name="PreparedTransaction">The global id of a prepared transaction, which holds the database like a session; null for a session.</param>
public sealed record SessionInfo(string Database, int Pid, string? User, string? Application, string? Client, string? State, bool CanEnd,
    string? PreparedTransaction = null)
{
    /// <summary>The session or prepared transaction, for a refusal or a log line.</summary>
    public override string ToString() => PreparedTransaction is not null
        ? $"prepared transaction \"{PreparedTransaction}\" on \"{Database}\" (owner {User ?? "?"})"
        : $"pid {Pid} on \"{Database}\" (user {User ?? "?"}" + (string.IsNullOrEmpty(Application) ? "" : $", application \"{Application}\"") +
          (Client is null ? "" : $", client {Client}") + (State is null ? "" : $", {State}") + ")";
}
