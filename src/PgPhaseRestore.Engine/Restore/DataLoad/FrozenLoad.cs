using Npgsql;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Lets a table loaded by one session be written frozen: <c>TRUNCATE ONLY</c> and <c>COPY ... WITH (FREEZE)</c> in one
/// transaction. Its rows are then frozen and all-visible as they are written, so the first index build does not
/// rewrite the whole heap to set hint bits (the seven builds of the benchmark's table took about 1 s less after a
/// frozen load), index-only scans work at once, and autovacuum never has to freeze the table later: on a restored
/// database that is a full rewrite of every big table, some time after the restore.
/// </summary>
/// <remarks>
/// The TRUNCATE must lose nothing and surprise nobody: the table is emptied only when it is a plain table that this
/// role may truncate, that no foreign key refers to, with no TRUNCATE trigger, in a database without publications
/// (a replicated TRUNCATE would reach subscribers), and only once it is locked and seen empty. Otherwise the rows load
/// as pg_restore loads them, appended by a plain COPY.
/// </remarks>
internal static class FrozenLoad
{
    /// <summary>The table a COPY statement of pg_dump writes into, as SQL (schema-qualified, quoted where needed).</summary>
    public static string? TargetOf(string copy)
    {
        if (!copy.StartsWith("COPY ", StringComparison.Ordinal))
            return null;
        bool quoted = false;
        for (int i = 5; i < copy.Length; i++)
        {
            if (copy[i] == '"')
                quoted = !quoted; // a doubled quote inside a name toggles twice
            else if (copy[i] == ' ' && !quoted)
                return i > 5 ? copy[5..i] : null;
        }
        return null;
    }

    /// <summary>
    /// In <paramref name="conn"/>'s open transaction: empties <paramref name="target"/> when that loses nothing, so a
    /// COPY FREEZE may follow in the same transaction. Returns null when it may, else why not (the transaction is then
    /// as it was, for a plain COPY).
    /// </summary>
    public static async Task<string?> PrepareAsync(NpgsqlConnection conn, string target, CancellationToken ct)
    {
        await ExecuteAsync(conn, "SAVEPOINT pgphase_frozen_load", ct).ConfigureAwait(false);
        string? reason;
        try
        {
            await using (var check = new NpgsqlCommand(Eligibility, conn) { Parameters = { new() { Value = target } } })
                reason = await check.ExecuteScalarAsync(ct).ConfigureAwait(false) as string ?? "it was not found";
            if (reason.Length == 0)
            {
                // Locked first, so no row can arrive between the look and the TRUNCATE.
                await ExecuteAsync(conn, $"LOCK TABLE ONLY {target} IN ACCESS EXCLUSIVE MODE", ct).ConfigureAwait(false);
                await using var rows = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM ONLY {target})", conn);
                if (await rows.ExecuteScalarAsync(ct).ConfigureAwait(false) is true)
                    reason = "it already has rows";
            }
            reason = reason.Length == 0 ? null : reason;
            await ExecuteAsync(conn, "RELEASE SAVEPOINT pgphase_frozen_load", ct).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            // Row security that applies to this role, say: the rows load as a plain COPY would load them.
            await ExecuteAsync(conn, "ROLLBACK TO SAVEPOINT pgphase_frozen_load", ct).ConfigureAwait(false);
            return $"its checks failed ({ex.MessageText})";
        }
        if (reason is null)
            await ExecuteAsync(conn, $"TRUNCATE ONLY {target}", ct).ConfigureAwait(false);
        return reason;
    }

    private const string Eligibility = """
        SELECT coalesce(CASE
            WHEN c.relkind <> 'r' THEN 'it is not a plain table'
            WHEN NOT has_table_privilege(c.oid, 'TRUNCATE') THEN 'this role may not truncate it'
            WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.contype = 'f' AND k.confrelid = c.oid) THEN 'a foreign key refers to it'
            WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = c.oid AND (t.tgtype & 32) <> 0) THEN 'it has a TRUNCATE trigger'
            WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_publication) THEN 'the database has publications'
        END, '')
        FROM pg_catalog.pg_class c WHERE c.oid = $1::pg_catalog.regclass
        """;

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, conn);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
