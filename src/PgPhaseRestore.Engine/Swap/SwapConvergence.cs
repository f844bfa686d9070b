using Npgsql;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>
/// Where the two databases of an operation are now, followed by OID, and the renames still needed to bring them to
/// their target names: the same reading serves the plan, the run under the lock and the recovery after a failure.
/// </summary>
internal static class SwapConvergence
{
    /// <summary>The two databases as the catalog holds them now; the incoming one must still exist.</summary>
    public static async Task<(DatabaseState Incoming, DatabaseState? Outgoing)> CurrentAsync(NpgsqlConnection conn, SwapRecord record, CancellationToken ct)
    {
        var incoming = await SwapCatalog.ByOidAsync(conn, record.Incoming.Oid, ct).ConfigureAwait(false)
            ?? throw new PgPhaseException($"the database that was to take the name \"{record.Incoming.Target}\" (\"{record.Incoming.Name}\", OID {record.Incoming.Oid}) no longer exists" +
                                       (record.Kind == SwapKind.Swap ? "; undo the swap to give the live database its connection settings back" : ""), PgPhaseErrorCode.SwapDatabaseMissing);
        var outgoing = record.Outgoing is null ? null : await SwapCatalog.ByOidAsync(conn, record.Outgoing.Oid, ct).ConfigureAwait(false);
        return (incoming, outgoing);
    }

    /// <summary>
    /// The renames still needed to bring both databases from their names now to their target names, ordered so
    /// that each name is free when it is taken. A target held by a third database stops everything.
    /// </summary>
    public static async Task<List<DatabaseRename>> ConvergeAsync(NpgsqlConnection conn, SwapRecord record, DatabaseState incoming, DatabaseState? outgoing,
        CancellationToken ct)
    {
        var moves = new List<(uint Oid, DatabaseRename Rename)>();
        if (outgoing is not null && outgoing.Name != record.Outgoing!.Target)
            moves.Add((outgoing.Oid, new DatabaseRename(outgoing.Name, record.Outgoing.Target)));
        if (incoming.Name != record.Incoming.Target)
            moves.Add((incoming.Oid, new DatabaseRename(incoming.Name, record.Incoming.Target)));
        var ours = new HashSet<uint> { incoming.Oid };
        if (outgoing is not null)
            ours.Add(outgoing.Oid);
        foreach (var (_, rename) in moves)
        {
            if (await SwapCatalog.ByNameAsync(conn, rename.To, ct).ConfigureAwait(false) is { } holder && !ours.Contains(holder.Oid))
                throw new PgPhaseException($"cannot rename \"{rename.From}\" to \"{rename.To}\": another database (OID {holder.Oid}) has that name now; " +
                                        "move it away, then run again", PgPhaseErrorCode.SwapState);
        }
        // The database giving up a name is renamed before the one taking it.
        if (moves.Count == 2 && moves[0].Rename.To == moves[1].Rename.From)
        {
            if (moves[1].Rename.To == moves[0].Rename.From)
                throw new PgPhaseException($"\"{moves[0].Rename.From}\" and \"{moves[1].Rename.From}\" would trade names directly, which a swap never asks for; rename one of them by hand", PgPhaseErrorCode.SwapState);
            moves.Reverse();
        }
        return moves.Select(m => m.Rename).ToList();
    }
}
