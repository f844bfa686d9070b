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
        // A session setting is the third witness: a pooler that routes our next statement to another server
        // session (round robin, or the same pid by chance) loses it.
        var marker = Guid.NewGuid().ToString("N");
        int first;
        await using (var set = new NpgsqlCommand("SELECT pg_backend_pid() FROM (SELECT set_config('pgphase.probe', $1, false)) s", conn) { Parameters = { new() { Value = marker } } })
            first = (int)(await set.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        await using var other = new NpgsqlConnection(connectionString);
        await other.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await other.BeginTransactionAsync(ct).ConfigureAwait(false);
        int otherPid = await BackendPidAsync(other, ct).ConfigureAwait(false);
        int second;
        string? seen;
        await using (var get = new NpgsqlCommand("SELECT pg_backend_pid(), current_setting('pgphase.probe', true)", conn))
        await using (var r = await get.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await r.ReadAsync(ct).ConfigureAwait(false);
            second = r.GetInt32(0);
            seen = r.IsDBNull(1) ? null : r.GetString(1);
        }
        await tx.RollbackAsync(ct).ConfigureAwait(false);
        return second != first || otherPid == first || seen != marker;
    }

    public static async Task<int> BackendPidAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_backend_pid()", conn);
        return (int)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
