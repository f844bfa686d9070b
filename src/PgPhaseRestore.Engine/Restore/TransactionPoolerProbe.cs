using Npgsql;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Tells whether a connection reaches PostgreSQL through a pooler in transaction mode (PgBouncer, Supavisor and
/// the poolers of Railway, Neon, Supabase), where each transaction may run on another server session. There a
/// session-level advisory lock stays with whichever pooled session took it, so it guards nothing.
/// </summary>
internal static class TransactionPoolerProbe
{
    /// <summary>
    /// Asks for the backend pid, lets a second client open a transaction, and asks again. On a direct session the
    /// pid never changes and the other client gets its own backend; behind a transaction pooler the idle server
    /// session is handed to the other client, so either it reports our pid or our next statement runs elsewhere.
    /// </summary>
    public static async Task<bool> IsTransactionPooledAsync(NpgsqlConnection conn, string connectionString, CancellationToken ct)
    {
        int first = await BackendPidAsync(conn, ct).ConfigureAwait(false);
        await using var other = new NpgsqlConnection(connectionString);
        await other.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await other.BeginTransactionAsync(ct).ConfigureAwait(false);
        int otherPid = await BackendPidAsync(other, ct).ConfigureAwait(false);
        int second = await BackendPidAsync(conn, ct).ConfigureAwait(false);
        await tx.RollbackAsync(ct).ConfigureAwait(false);
        return second != first || otherPid == first;
    }

    public static async Task<int> BackendPidAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_backend_pid()", conn);
        return (int)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
