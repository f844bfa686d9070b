using Npgsql;

namespace PgPhaseRestore.TestRigs;

/// <summary>A fingerprint of everything a database holds as data: every table's rows, sequence values, large objects.</summary>
public static class DatabaseContents
{
    public static SortedDictionary<string, string> Fingerprint(PostgresCluster cluster, string database)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var conn = cluster.Open(database);
        var relations = new List<(string Schema, string Name, char Kind)>();
        using (var cmd = new NpgsqlCommand("""
            SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
            ORDER BY 1, 2
            """, conn))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                relations.Add((r.GetString(0), r.GetString(1), r.GetChar(2)));

        foreach (var (schema, name, kind) in relations)
        {
            var q = $"\"{schema.Replace("\"", "\"\"")}\".\"{name.Replace("\"", "\"\"")}\"";
            var sql = kind == 'S'
                ? $"SELECT last_value::text || '/' || is_called::text FROM {q}"
                : $"SELECT count(*)::text || ' rows, md5 ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '-') FROM {q} t";
            using var cmd = new NpgsqlCommand(sql, conn);
            // Row security is forced on some tables: read as the owner would see them without it.
            using (var off = new NpgsqlCommand("SET row_security = off", conn))
                off.ExecuteNonQuery();
            result[$"{kind} {schema}.{name}"] = (string)cmd.ExecuteScalar()!;
        }
        using (var lo = new NpgsqlCommand("SELECT oid::text, md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid", conn))
        using (var r = lo.ExecuteReader())
            while (r.Read())
                result[$"large object {r.GetString(0)}"] = r.GetString(1);
        return result;
    }
}
