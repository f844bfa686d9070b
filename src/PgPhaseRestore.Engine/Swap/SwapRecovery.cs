using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>
/// Connection settings put back once the names are where they belong, or after a failure before the renames
/// committed, when the journal also says whether the operation is over or stays pending for a rerun or an undo.
/// </summary>
internal static class SwapRecovery
{
    /// <summary>
    /// Connection settings once the names are where they belong: the database now aside gets back its own, the
    /// one now live its own or, when carrying, those the live database had.
    /// </summary>
    public static async Task<List<string>> RestoreConnectionsAsync(NpgsqlConnection conn, SwapRecord record, bool carried, CancellationToken ct)
    {
        var changes = new List<string>();
        var outgoing = record.Outgoing;
        if (outgoing is not null && await SwapCatalog.SetConnectionsAsync(conn, outgoing.Oid, outgoing.AllowConnections, outgoing.ConnectionLimit, ct).ConfigureAwait(false) is { } o)
            changes.Add(o);
        var (allow, limit) = carried && record.Carry && outgoing is not null
            ? (outgoing.AllowConnections, outgoing.ConnectionLimit)
            : (record.Incoming.AllowConnections, record.Incoming.ConnectionLimit);
        if (await SwapCatalog.SetConnectionsAsync(conn, record.Incoming.Oid, allow, limit, ct).ConfigureAwait(false) is { } i)
            changes.Add(i);
        return changes;
    }

    /// <summary>
    /// After a refusal or failure before the renames committed: both databases get their own connection settings
    /// back. When the catalog is where the operation started, the operation is over (abandoned); otherwise (an
    /// earlier run's state) it stays pending, for a rerun or an undo to finish.
    /// </summary>
    public static async Task PutBackAsync(SwapPlan plan, SwapRecord record, SwapJournal journal, Action<string> step, Action save, Exception failure,
        Action<string>? log)
    {
        try
        {
            await using var conn = await SwapCatalog.OpenAsync(plan.Connection, CancellationToken.None).ConfigureAwait(false);
            foreach (var change in await RestoreConnectionsAsync(conn, record, carried: false, CancellationToken.None).ConfigureAwait(false))
                step($"connection settings restored: {change}");
            var (incoming, outgoing) = await SwapConvergence.CurrentAsync(conn, record, CancellationToken.None).ConfigureAwait(false);
            bool atStart = record.Outgoing is not null && incoming.Name == record.Incoming.Name && outgoing?.Name == plan.Database;
            if (atStart)
            {
                record.Step = SwapStep.Abandoned;
                step($"stopped, nothing renamed: {failure.Message}");
                journal.Pending = null;
            }
            else
                step($"stopped: {failure.Message}; run again (or undo) to finish");
            save();
        }
        catch (Exception ex) when (ex is PgPhaseException p && (PgPhaseErrors.IsSwap(p.Code) || PgPhaseErrors.IsConnect(p.Code))
                                   || ex is NpgsqlException or IOException or TimeoutException)
        {
            log?.Invoke($"could not restore the connection settings after the failure ({ex.Message}); run the swap again, or undo it, to finish");
        }
    }
}
