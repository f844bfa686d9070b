namespace PgPhaseRestore.Engine.Swap;

/// <summary>
/// A session (or prepared transaction) on a database that is about to be renamed: PostgreSQL refuses to rename
/// a database anyone is connected to. <see cref="CanEnd"/> says whether this role may end it with pg_terminate_backend.
/// </summary>
public sealed record SessionInfo(string Database, int Pid, string? User, string? Application, string? Client, string? State, bool CanEnd,
    string? PreparedTransaction = null)
{
    public override string ToString() => PreparedTransaction is not null
        ? $"prepared transaction \"{PreparedTransaction}\" on \"{Database}\" (owner {User ?? "?"})"
        : $"pid {Pid} on \"{Database}\" (user {User ?? "?"}" + (string.IsNullOrEmpty(Application) ? "" : $", application \"{Application}\"") +
          (Client is null ? "" : $", client {Client}") + (State is null ? "" : $", {State}") + ")";
}
