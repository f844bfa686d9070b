using Npgsql;
using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>What the target's catalog holds of a phase's objects.</summary>
internal sealed record PhaseState(IReadOnlyList<TocEntry> Present, IReadOnlyList<TocEntry> Missing)
{
    /// <summary>No entry of the phase can be looked up in the catalog (comments, grants...): only the journal knows.</summary>
    public bool Unknown => Present.Count == 0 && Missing.Count == 0;

    public bool Complete => !Unknown && Missing.Count == 0;

    public bool Absent => !Unknown && Present.Count == 0;

    /// <summary>"3 of 7 objects exist: INDEX app.a, ...; missing: ..." for the error that stops a resume.</summary>
    public string Describe(int shown = 4)
    {
        static string List(IEnumerable<TocEntry> entries, int n) =>
            string.Join(", ", entries.Take(n).Select(e => $"{e.Type} {e.QualifiedName}")) + (entries.Count() > n ? ", ..." : "");
        return $"{Present.Count} of {Present.Count + Missing.Count} of its objects exist ({List(Present, shown)}); missing: {List(Missing, shown)}";
    }
}

/// <summary>
/// Looks the objects of a phase up in the target's catalog: the target, not the journal, says whether a phase
/// ran. Phases 1, 2 and 4 run in one transaction each, so their objects are all there or none are; a kill between
/// pg_restore's commit and the journal's write leaves a journal that says "unfinished" over a finished phase.
/// </summary>
internal static class PhaseReconciler
{
    private const string Sql = """
        SELECT x.i, CASE x.k
          WHEN 'rel' THEN EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = x.s AND c.relname = x.t)
          WHEN 'populated' THEN EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = x.s AND c.relname = x.t AND c.relispopulated)
          WHEN 'rls' THEN EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = x.s AND c.relname = x.t AND c.relrowsecurity)
          WHEN 'schema' THEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = x.t)
          WHEN 'type' THEN EXISTS (SELECT 1 FROM pg_type y JOIN pg_namespace n ON n.oid = y.typnamespace WHERE n.nspname = x.s AND y.typname = x.t)
          WHEN 'proc' THEN EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = x.s AND p.proname = x.t)
          WHEN 'con' THEN EXISTS (SELECT 1 FROM pg_constraint o JOIN pg_namespace n ON n.oid = o.connamespace
                                  LEFT JOIN pg_class c ON c.oid = o.conrelid LEFT JOIN pg_type y ON y.oid = o.contypid
                                  WHERE n.nspname = x.s AND coalesce(c.relname, y.typname) || ' ' || o.conname = x.t)
          WHEN 'trigger' THEN EXISTS (SELECT 1 FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                                      WHERE n.nspname = x.s AND c.relname || ' ' || g.tgname = x.t)
          WHEN 'policy' THEN EXISTS (SELECT 1 FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                                     WHERE n.nspname = x.s AND c.relname || ' ' || p.polname = x.t)
          WHEN 'rule' THEN EXISTS (SELECT 1 FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
                                   WHERE n.nspname = x.s AND c.relname || ' ' || r.rulename = x.t)
        END
        FROM unnest($1::int[], $2::text[], $3::text[], $4::text[]) AS x(i, k, s, t)
        """;

    /// <summary>How an entry's object is found in the catalog, or null when it cannot be (comments, grants, defaults...).</summary>
    public static string? Probe(TocEntry e) => e.Type switch
    {
        "TABLE" or "VIEW" or "MATERIALIZED VIEW" or "SEQUENCE" or "FOREIGN TABLE" or "INDEX" => "rel",
        "MATERIALIZED VIEW DATA" => "populated",
        "ROW SECURITY" => "rls",
        "SCHEMA" when e.Name != "public" => "schema",
        "TYPE" or "DOMAIN" => "type",
        "FUNCTION" or "PROCEDURE" or "AGGREGATE" => "proc",
        "CONSTRAINT" or "FK CONSTRAINT" or "CHECK CONSTRAINT" => "con",
        "TRIGGER" => "trigger",
        "POLICY" => "policy",
        "RULE" => "rule",
        _ => null,
    };

    public static async Task<PhaseState> InspectAsync(NpgsqlConnection conn, IReadOnlyList<TocEntry> entries, CancellationToken ct)
    {
        var probed = entries.Select((e, i) => (Entry: e, Index: i, Kind: Probe(e))).Where(x => x.Kind is not null && x.Entry.Name is not null).ToList();
        if (probed.Count == 0)
            return new PhaseState([], []);
        await using var cmd = new NpgsqlCommand(Sql, conn);
        cmd.Parameters.AddWithValue(probed.Select(x => x.Index).ToArray());
        cmd.Parameters.AddWithValue(probed.Select(x => x.Kind!).ToArray());
        cmd.Parameters.AddWithValue(probed.Select(x => x.Entry.Schema ?? "").ToArray());
        cmd.Parameters.AddWithValue(probed.Select(x => NameOf(x.Entry)).ToArray());
        var exists = new Dictionary<int, bool>();
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                exists[r.GetInt32(0)] = r.GetBoolean(1);
        }
        var present = probed.Where(x => exists[x.Index]).Select(x => x.Entry).ToList();
        var missing = probed.Where(x => !exists[x.Index]).Select(x => x.Entry).ToList();
        return new PhaseState(present, missing);
    }

    /// <summary>The tag as the catalog spells it: a function's tag carries its argument list, "f(integer)".</summary>
    private static string NameOf(TocEntry e)
    {
        var name = e.Name!;
        if (e.Type is "FUNCTION" or "PROCEDURE" or "AGGREGATE")
        {
            int paren = name.IndexOf('(');
            if (paren > 0)
                name = name[..paren];
        }
        return name;
    }
}
