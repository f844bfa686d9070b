using Npgsql;

namespace PgPhaseRestore.Engine.Verification;

/// <summary>The target's indexes, constraints, triggers, policies and relations, read in a handful of queries.</summary>
internal sealed class TargetCatalog
{
    public Dictionary<(string Schema, string Name), bool> Indexes { get; } = [];
    public Dictionary<(string Schema, string Relation, string Name), bool> Constraints { get; } = [];
    public HashSet<(string, string, string)> Triggers { get; } = [];
    public HashSet<(string, string, string)> Policies { get; } = [];
    public HashSet<(string, string)> RowSecurity { get; } = [];

    /// <summary>Relations by name, with whether they are populated (matters for materialized views).</summary>
    public Dictionary<(string Schema, string Name), bool> Relations { get; } = [];

    public static async Task<TargetCatalog> ReadAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var c = new TargetCatalog();
        await ReadAsync(conn, """
            SELECT n.nspname, i.relname, x.indisvalid AND x.indisready FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
            """, r => c.Indexes[(r.GetString(0), r.GetString(1))] = r.GetBoolean(2), ct).ConfigureAwait(false);
        await ReadAsync(conn, """
            SELECT n.nspname, coalesce(t.relname, d.typname), k.conname, k.convalidated FROM pg_constraint k
            JOIN pg_namespace n ON n.oid = k.connamespace
            LEFT JOIN pg_class t ON t.oid = k.conrelid LEFT JOIN pg_type d ON d.oid = k.contypid
            """, r => c.Constraints[(r.GetString(0), r.GetString(1), r.GetString(2))] = r.GetBoolean(3), ct).ConfigureAwait(false);
        await ReadAsync(conn, """
            SELECT n.nspname, t.relname, g.tgname FROM pg_trigger g
            JOIN pg_class t ON t.oid = g.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE NOT g.tgisinternal
            """, r => c.Triggers.Add((r.GetString(0), r.GetString(1), r.GetString(2))), ct).ConfigureAwait(false);
        await ReadAsync(conn, """
            SELECT n.nspname, t.relname, p.polname FROM pg_policy p
            JOIN pg_class t ON t.oid = p.polrelid JOIN pg_namespace n ON n.oid = t.relnamespace
            """, r => c.Policies.Add((r.GetString(0), r.GetString(1), r.GetString(2))), ct).ConfigureAwait(false);
        await ReadAsync(conn, """
            SELECT n.nspname, t.relname, t.relrowsecurity, t.relispopulated FROM pg_class t
            JOIN pg_namespace n ON n.oid = t.relnamespace WHERE t.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
            """, r =>
            {
                c.Relations[(r.GetString(0), r.GetString(1))] = r.GetBoolean(3);
                if (r.GetBoolean(2))
                    c.RowSecurity.Add((r.GetString(0), r.GetString(1)));
            }, ct).ConfigureAwait(false);
        return c;
    }

    private static async Task ReadAsync(NpgsqlConnection conn, string sql, Action<NpgsqlDataReader> row, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            row(r);
    }
}
