using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// A session of this process on the target, set up as pg_restore sets up its own: the user's settings (which
/// pg_restore gets through PGOPTIONS), then pg_restore's own over them (no timeouts, empty search_path, row security
/// off), then the role. What it runs behaves as it would under pg_restore.
/// </summary>
internal static class RestoreSession
{
    private static readonly KeyValuePair<string, string>[] PgRestoreSettings =
    [
        new("statement_timeout", "0"), new("lock_timeout", "0"), new("idle_in_transaction_session_timeout", "0"),
        new("search_path", ""), new("row_security", "off"), new("check_function_bodies", "false"), new("xmloption", "content"),
    ];

    /// <summary>
    /// Opens the session. With <paramref name="inTransaction"/>, it is left inside a transaction and the settings hold
    /// for that transaction only, so a transaction-mode pooler keeps them on the server connection it gives.
    /// </summary>
    public static async Task<NpgsqlConnection> OpenAsync(RestoreOptions options, bool inTransaction, CancellationToken ct)
    {
        var conn = new NpgsqlConnection(options.Target.ToNpgsqlConnectionString(StaleSessions.ApplicationName(3), ownApplicationName: true));
        try
        {
            await options.Target.OpenAsync(conn, ct).ConfigureAwait(false);
            if (inTransaction)
                await ExecuteAsync(conn, "BEGIN", ct).ConfigureAwait(false);
            foreach (var (name, value) in options.SessionSettings.Concat(PgRestoreSettings))
                await SetAsync(conn, name, value, inTransaction, ct).ConfigureAwait(false);
            // pg_restore 17 and later also lift PostgreSQL 17's transaction_timeout, which older servers do not know.
            if (conn.PostgreSqlVersion.Major >= 17)
                await SetAsync(conn, "transaction_timeout", "0", inTransaction, ct).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(options.Role))
                await ExecuteAsync(conn, $"SET {(inTransaction ? "LOCAL " : "")}ROLE {SqlText.Ident(options.Role)}", ct).ConfigureAwait(false);
            return conn;
        }
        catch
        {
            // Stopped or refused while being set up: closed here, or it stays open as a session of this run that a
            // resume in the same process would wait for as stale.
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sets a parameter for the session, or for its transaction when <paramref name="local"/>.</summary>
    public static async Task SetAsync(NpgsqlConnection conn, string name, string value, bool local, CancellationToken ct)
    {
        await using var set = new NpgsqlCommand("SELECT set_config($1, $2, $3)", conn)
            { Parameters = { new() { Value = name }, new() { Value = value }, new() { Value = local } } };
        await set.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public static async Task ExecuteAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, conn);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
