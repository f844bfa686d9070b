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
        foreach (var data in tables)
        {
            await using var cmd = new NpgsqlCommand($"TRUNCATE ONLY {SqlText.Qualified(data.Schema, data.Name!)}", conn);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }
}
