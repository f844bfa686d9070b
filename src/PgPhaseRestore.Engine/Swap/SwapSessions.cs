using Npgsql;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>The sessions on the databases a swap renames: refused without force; with force, blocked and ended.</summary>
internal static class SwapSessions
{
    /// <summary>
    /// Without force, any session on a database to be renamed refuses the swap. With force: new connections are
    /// blocked first (so that none arrive between ending the sessions and the renames), then the sessions ended.
    /// </summary>
    public static async Task ClearAsync(NpgsqlConnection conn, SwapPlan plan, List<string> renamed, SwapRecord record,
        Action<string> step, Action save, List<string> ended, CancellationToken ct)
    {
        var sessions = await SwapCatalog.SessionsAsync(conn, renamed, ct).ConfigureAwait(false);
        if (!plan.Force)
        {
            if (sessions.Count > 0)
                throw new PgPhaseException($"{Count(sessions)} connected to {Names(renamed)}, which PostgreSQL does not rename while anyone is connected: " +
                                        string.Join("; ", sessions), ". End them, or force the swap to block new connections and end them", PgPhaseErrorCode.SwapSessions);
            return;
        }
        RefuseUnendable(sessions, renamed);
        record.Step = SwapStep.Blocked;
        save();
        foreach (var name in renamed)
            step($"blocked new connections to \"{name}\": {await SwapCatalog.BlockAsync(conn, name, ct).ConfigureAwait(false)}");
        save();

        // Read again: someone may have connected between the first look and the block.
        sessions = await SwapCatalog.SessionsAsync(conn, renamed, ct).ConfigureAwait(false);
        RefuseUnendable(sessions, renamed);
        var (gone, refused) = await SwapCatalog.TerminateAsync(conn, sessions, ct).ConfigureAwait(false);
        foreach (var s in gone)
        {
            ended.Add(s.ToString());
            step($"ended session {s}");
        }
        if (refused.Count > 0)
            throw new PgPhaseException($"may not end {string.Join("; ", refused)}", PgPhaseErrorCode.SwapNotPermitted);
        var deadline = DateTime.UtcNow + plan.SessionEndWait;
        while (sessions.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct).ConfigureAwait(false);
            sessions = await SwapCatalog.SessionsAsync(conn, renamed, ct).ConfigureAwait(false);
        }
        if (sessions.Count > 0)
            throw new PgPhaseException($"{Count(sessions)} still connected to {Names(renamed)} {plan.SessionEndWait.TotalSeconds:0} s after being ended: {string.Join("; ", sessions)}",
                PgPhaseErrorCode.SwapSessions);
    }

    private static void RefuseUnendable(List<SessionInfo> sessions, List<string> renamed)
    {
        var unendable = sessions.Where(s => !s.CanEnd).ToList();
        if (unendable.Count > 0)
            throw new PgPhaseException($"{Count(unendable)} on {Names(renamed)} that this role may not end (another role's, a superuser's, or a prepared transaction): " +
                                    $"{string.Join("; ", unendable)}. Ask their owner or an administrator to end them", PgPhaseErrorCode.SwapSessionsUnendable);
    }

    private static string Count(List<SessionInfo> s) => Plural.Of(s.Count, "session");

    private static string Names(List<string> names) => string.Join(" and ", names.Select(n => $"\"{n}\""));
}
