using System.Text;
using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>The tables a data phase loads, as the target sees them: which already hold rows, and emptying them.</summary>
internal static class DataTables
{
    private const int Batch = 200;

    /// <summary>
    /// The TABLE DATA entries whose table already holds at least one row (one round trip per 200 tables). An
    /// extension's configuration table (pg_extension.extconfig, PostGIS's spatial_ref_sys say) is never among them:
    /// CREATE EXTENSION filled it in phase 1, and the archive holds only the rows added since, loaded beside them.
    /// </summary>
    public static async Task<List<TocEntry>> NonEmptyAsync(NpgsqlConnection conn, IEnumerable<TocEntry> entries, CancellationToken ct)
    {
        var tables = entries.Where(e => e.Type == "TABLE DATA" && e.Name is not null).ToList();
        var result = new List<TocEntry>();
        for (int start = 0; start < tables.Count; start += Batch)
        {
            var chunk = tables.Skip(start).Take(Batch).ToList();
            var sql = new StringBuilder();
            for (int i = 0; i < chunk.Count; i++)
            {
                if (i > 0)
                    sql.Append(" UNION ALL ");
                var table = SqlText.Qualified(chunk[i].Schema, chunk[i].Name!);
                sql.Append($"SELECT {i} WHERE EXISTS (SELECT 1 FROM ONLY {table}) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension x " +
                           $"WHERE {SqlText.Literal(table)}::pg_catalog.regclass = ANY (x.extconfig))");
            }
            await using var cmd = new NpgsqlCommand(sql.ToString(), conn);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                result.Add(chunk[r.GetInt32(0)]);
        }
        return result;
    }

    public static async Task TruncateAsync(NpgsqlConnection conn, IEnumerable<TocEntry> tables, CancellationToken ct)
    {
        var names = tables.Select(t => SqlText.Qualified(t.Schema, t.Name!)).ToArray();
        if (names.Length == 0)
            return;
        await RefuseUnderForeignKeysAsync(conn, names, ct).ConfigureAwait(false);
        foreach (var table in names)
        {
            try
            {
                await using var cmd = new NpgsqlCommand($"TRUNCATE ONLY {table}", conn);
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            catch (PostgresException ex)
            {
                throw new PgPhaseException($"{table}: could not be emptied before its rows load again: {ex.MessageText}", PgPhaseErrorCode.RestoreFailed, ex);
            }
        }
    }

    /// <summary>
    /// Foreign keys that refer to these tables (phase 4 adds them): emptying a referenced table fails half way, and rows
    /// loaded into it again would be checked by the keys against tables still loading. Refused before any table is
    /// emptied. A table that only holds a key to a table left as it is empties and loads again as any other.
    /// </summary>
    private static async Task RefuseUnderForeignKeysAsync(NpgsqlConnection conn, string[] tables, CancellationToken ct)
    {
        var found = await TextsAsync(conn, """
            SELECT DISTINCT format('%s (%s, on %s)', c.confrelid::pg_catalog.regclass, c.conname, c.conrelid::pg_catalog.regclass)
            FROM pg_catalog.unnest($1::text[]) AS t
            JOIN pg_catalog.pg_constraint c ON c.contype = 'f' AND c.confrelid = t::pg_catalog.regclass
            ORDER BY 1 LIMIT 6
            """, tables, ct).ConfigureAwait(false);
        if (found.Count > 0)
            throw new PgPhaseException($"the data phase would empty and load again tables that foreign keys refer to: {NameList.Of(found)}; nothing was emptied. " +
                                       "Restore into a new database, or load those tables where no foreign key refers to them yet", PgPhaseErrorCode.Conflict);
    }

    /// <summary>The one text column <paramref name="sql"/> returns, given <paramref name="values"/> as its text array $1.</summary>
    public static async Task<List<string>> TextsAsync(NpgsqlConnection conn, string sql, string[] values, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn) { Parameters = { new() { Value = values } } };
        var texts = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            texts.Add(r.GetString(0));
        return texts;
    }
}
