using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>The source database as it stands when a backup starts.</summary>
internal sealed record SourceFacts(
    string ServerVersion, int ServerVersionNum, string User, long DatabaseSize,
    IReadOnlyList<TableStats> Tables, IReadOnlyList<IndexStats> Indexes)
{
    public int ServerMajor => ServerVersionNum / 10000;

    /// <summary>Each partition ("schema.name") with every partitioned table above it: a copy of one copies their rows.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<(string Schema, string Name)>> PartitionAncestors { get; init; } =
        new Dictionary<string, IReadOnlyList<(string Schema, string Name)>>();
}

/// <summary>Reads the server version and per-table and per-index sizes and row estimates with one short connection.</summary>
internal static class SourceInspector
{
    /// <param name="source">The database.</param>
    /// <param name="ct">Stops the reads.</param>
    /// <param name="forBackup">Refuses a database that a pgphase restore is loading: a backup of it would hold part of a restore.</param>
    /// <param name="lockWait">
    /// The longest wait for a table lock (a backup's lock wait): sizing a table takes the lock pg_dump takes, so a
    /// table another session holds locked fails here as it would fail pg_dump, rather than wait for it.
    /// </param>
    public static async Task<SourceFacts> InspectAsync(PgConnectionInfo source, CancellationToken ct, bool forBackup = false, TimeSpan? lockWait = null)
    {
        await using var conn = new NpgsqlConnection(source.ToNpgsqlConnectionString("pgphase backup"));
        try
        {
            await source.OpenAsync(conn, ct).ConfigureAwait(false);
        }
        catch (PgPhaseException ex) when (PgPhaseErrors.IsConnect(ex.Code))
        {
            throw PgPhaseException.Wrap($"cannot connect to the source {ex.Target}: {ex.Detail}", ex, PgPhaseErrorCode.BackupFailed);
        }

        // A database pgphase is restoring into holds part of an archive: a backup of it would be listed as complete.
        if (forBackup && await Restore.RestoreLock.HolderAsync(conn, ct).ConfigureAwait(false) is { } restoring)
            throw new PgPhaseException($"a pgphase restore into \"{source.Database}\" is running ({restoring}): a backup of it now would hold part of a restore; " +
                                       "back it up once the restore has finished", PgPhaseErrorCode.RestoreBusy);

        string version = "", user = "";
        int versionNum = 0;
        long dbSize = 0;
        await using (var cmd = new NpgsqlCommand("SELECT current_setting('server_version'), current_setting('server_version_num')::int, current_user, pg_database_size(current_database())", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await r.ReadAsync(ct).ConfigureAwait(false);
            version = r.GetString(0);
            versionNum = r.GetInt32(1);
            user = r.GetString(2);
            dbSize = r.GetInt64(3);
        }

        if (lockWait is { } wait)
        {
            await using var limit = new NpgsqlCommand($"SET lock_timeout = {Math.Max(1, (long)wait.TotalMilliseconds)}", conn);
            await limit.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        try
        {
            return await SizesAsync(conn, version, versionNum, user, dbSize, ct).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable && lockWait is { } waited)
        {
            throw new PgPhaseException($"a table of \"{source.Database}\" stayed locked by another session past the lock wait of {waited.TotalSeconds:0.###} s " +
                                       $"({await LockedTablesAsync(conn, ct).ConfigureAwait(false)}): nothing was backed up", PgPhaseErrorCode.SourceLocked, ex);
        }
    }

    /// <summary>The tables of the database that other sessions hold locked against readers, for the message of a lock wait that ran out.</summary>
    private static async Task<string> LockedTablesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT coalesce(string_agg(DISTINCT l.relation::regclass::text, ', '), 'the table is no longer locked')
            FROM pg_locks l JOIN pg_database d ON d.oid = l.database AND d.datname = current_database()
            WHERE l.locktype = 'relation' AND l.granted AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_backend_pid()
            """, conn);
        return (string)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static async Task<SourceFacts> SizesAsync(NpgsqlConnection conn, string version, int versionNum, string user, long dbSize, CancellationToken ct)
    {
        var tables = new List<TableStats>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT n.nspname, c.relname, c.relkind::text, pg_total_relation_size(c.oid), pg_relation_size(c.oid),
                   CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
            ORDER BY 1, 2
            """, conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                tables.Add(new TableStats(r.GetString(0), r.GetString(1), Kind(r.GetString(2)), r.GetInt64(3), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt64(5)));
        }

        var indexes = new List<IndexStats>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT n.nspname, t.relname, c.relname, pg_relation_size(c.oid), i.indisunique, i.indisprimary,
                   -- Per index column, its average width from the statistics (an expression's are kept under the index); null when one has none.
                   (SELECT sum(s.avg_width) + CASE WHEN bool_and(s.avg_width IS NOT NULL) THEN 0 END
                    FROM generate_subscripts(i.indkey, 1) k
                    LEFT JOIN pg_attribute a ON a.attrelid = CASE WHEN i.indkey[k] = 0 THEN i.indexrelid ELSE i.indrelid END
                                            AND a.attnum = CASE WHEN i.indkey[k] = 0 THEN k + 1 ELSE i.indkey[k] END
                    LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.attname = a.attname
                                        AND s.tablename = CASE WHEN i.indkey[k] = 0 THEN c.relname ELSE t.relname END),
                   -- How the rows lie in the order of the first key column (ascending, nulls last): orders late builds.
                   (SELECT s.correlation FROM pg_attribute a JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname AND s.attname = a.attname
                    WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[0] AND i.indkey[0] <> 0 AND (i.indoption[0] & 3) = 0
                    ORDER BY s.inherited LIMIT 1)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
            ORDER BY 1, 2, 3
            """, conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                indexes.Add(new IndexStats(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetBoolean(4), r.GetBoolean(5), r.IsDBNull(6) ? null : Convert.ToDouble(r.GetValue(6), System.Globalization.CultureInfo.InvariantCulture))
                    { FirstKeyCorrelation = r.IsDBNull(7) ? null : r.GetFloat(7) });
        }
        var ancestors = new Dictionary<string, List<(string Schema, string Name)>>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand("""
            WITH RECURSIVE up (child, parent) AS (
                SELECT i.inhrelid, i.inhparent FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relispartition
                UNION ALL
                SELECT up.child, i.inhparent FROM up JOIN pg_inherits i ON i.inhrelid = up.parent JOIN pg_class p ON p.oid = up.parent WHERE p.relispartition)
            SELECT cn.nspname, c.relname, pn.nspname, p.relname
            FROM up JOIN pg_class c ON c.oid = up.child JOIN pg_namespace cn ON cn.oid = c.relnamespace
                    JOIN pg_class p ON p.oid = up.parent JOIN pg_namespace pn ON pn.oid = p.relnamespace
            """, conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var key = $"{r.GetString(0)}.{r.GetString(1)}";
                (ancestors.TryGetValue(key, out var list) ? list : ancestors[key] = []).Add((r.GetString(2), r.GetString(3)));
            }
        }
        return new SourceFacts(version, versionNum, user, dbSize, tables, indexes)
        {
            PartitionAncestors = ancestors.ToDictionary(a => a.Key, a => (IReadOnlyList<(string Schema, string Name)>)a.Value, StringComparer.Ordinal),
        };
    }

    private static string Kind(string relkind) => relkind switch
    {
        "p" => "partitioned table",
        "m" => "materialized view",
        _ => "table",
    };
}
