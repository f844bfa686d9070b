using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Sessions that an earlier run's pg_restore left working on the target (a worker of a killed parallel restore
/// finishing its COPY, a client whose host vanished). Loading beside them could duplicate rows, so a restore
/// waits for them to end, or stops them when asked, before it touches anything.
/// </summary>
internal static class StaleSessions
{
    internal const string Prefix = "pgphase phase ";

    /// <summary>The application name of this run's pg_restore sessions for a phase: how a later run recognises them.</summary>
    public static string ApplicationName(int phase) => $"{Prefix}{phase}{OfThisProcess}";

    // What ends every name this process gives its sessions; ApplicationName and the stop's search both build on it.
    private static readonly string OfThisProcess = $" (pid {Environment.ProcessId})";

    public static async Task SettleAsync(NpgsqlConnection conn, string database, bool stop, TimeSpan wait, Action<string>? log, CancellationToken ct)
    {
        var found = await FindAsync(conn, ct).ConfigureAwait(false);
        if (found.Count == 0)
            return;
        log?.Invoke($"{Count(found)} of an earlier pgphase run still working on \"{database}\": {Describe(found)}");
        if (stop)
        {
            foreach (var s in found)
            {
                await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend($1)", conn) { Parameters = { new() { Value = s.Pid } } };
                try
                {
                    await kill.ExecuteScalarAsync(ct).ConfigureAwait(false);
                    log?.Invoke($"stopped session {s.Pid} (\"{s.Application}\")");
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
                {
                    log?.Invoke($"may not stop session {s.Pid} (\"{s.Application}\"): {ex.MessageText}");
                }
            }
        }
        var deadline = DateTime.UtcNow + wait;
        while (found.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
            found = await FindAsync(conn, ct).ConfigureAwait(false);
        }
        if (found.Count > 0)
            throw new PgPhaseException(
                $"{Count(found)} of an earlier pgphase run still working on \"{database}\" after {wait.TotalSeconds:0} s ({Describe(found)})",
                "; wait for them to end, or ask for them to be stopped", PgPhaseErrorCode.StaleSessions);
        log?.Invoke($"the earlier run's sessions on \"{database}\" have ended");
    }

    /// <summary>
    /// Ends this run's own sessions on the target after a stop: a pg_restore killed mid-COPY leaves its backend to
    /// finish the statement (and commit it, behind the journal's back) or to wait on a lock, and a late build would
    /// sort on for hours. Best effort, within a few seconds: a stop must return, and the next run waits for any left.
    /// </summary>
    public static async Task EndOwnAsync(PgConnectionInfo target, Action<string>? log)
    {
        using var soon = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await using var conn = new NpgsqlConnection(target.ToNpgsqlConnectionString($"pgphase stop (pid {Environment.ProcessId})"));
            await target.OpenAsync(conn, soon.Token).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("""
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE datname = current_database() AND application_name LIKE $1 AND pid <> pg_backend_pid()
                """, conn) { Parameters = { new() { Value = $"{Prefix}%{OfThisProcess}" } } };
            var ended = (long)(await cmd.ExecuteScalarAsync(soon.Token).ConfigureAwait(false) ?? 0L);
            if (ended > 0)
                log?.Invoke($"stopped: ended this run's {Plural.Of(ended, "session")} on \"{target.Database}\"");
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or PgPhaseException or TimeoutException)
        {
            log?.Invoke($"stopped: could not end this run's sessions on \"{target.Database}\" ({ex.Message.Split('\n', 2)[0]}); the next run waits for them");
        }
    }

    private sealed record Session(int Pid, string Application, string? State, string? Query);

    private static async Task<List<Session>> FindAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT pid, application_name, state, left(query, 80) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name LIKE 'pgphase phase %' AND pid <> pg_backend_pid()
            ORDER BY pid
            """, conn);
        var list = new List<Session>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new Session(r.GetInt32(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3)));
        return list;
    }

    private static string Count(List<Session> s) => Plural.Of(s.Count, "session");

    // Other roles' state and query are hidden without pg_read_all_stats; the pid and name are always visible.
    private static string Describe(List<Session> sessions) => string.Join("; ", sessions.Select(s =>
        $"pid {s.Pid} \"{s.Application}\"" + (s.State is null ? "" : $" {s.State}") + (string.IsNullOrWhiteSpace(s.Query) ? "" : $": {s.Query.ReplaceLineEndings(" ")}")));
}
