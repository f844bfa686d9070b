using System.Text;
using Npgsql;

namespace PgPhaseRestore.TestRigs;

/// <summary>
/// What a database holds, computed by SQL on its own server: a sorted map from object ("index app.orders_pkey",
/// "rows app.customer") to its definition or content. It compares databases where pg_dump cannot reach, such
/// as a server newer than the installed pg_dump. Object identifiers are left out (they differ between any two
/// databases) except large object OIDs, which a restore keeps. Objects that belong to an extension are covered
/// by the extension's name and version.
/// </summary>
/// <remarks>
/// Keys begin with their kind: schema, extension, relation, column, inherits, index, constraint, trigger,
/// policy, rule, view, function, type, statistics, default acl, comment, object (other catalogs: existence),
/// and the data kinds rows, sequence, large object (<see cref="DataKinds"/>).
/// Runs on PostgreSQL 15 to 18 (the servers the tests use). Reads as the given connection's role: a superuser sees every row.
/// </remarks>
public static class DatabaseFingerprint
{
    public static readonly string[] DataKinds = ["rows", "sequence", "large object"];

    public static SortedDictionary<string, string> Compute(PostgresCluster cluster, string database)
    {
        using var conn = cluster.Open(database);
        return Compute(conn);
    }

    public static SortedDictionary<string, string> Compute(NpgsqlConnection conn)
    {
        // Every name qualified and every value printed the same way, whatever the server's defaults are.
        Execute(conn, "SET search_path = pg_catalog; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = postgres; " +
                      "SET extra_float_digits = 1; SET bytea_output = hex; SET row_security = off");
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var sql in CatalogQueries)
        {
            using var cmd = new NpgsqlCommand(sql, conn);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var key = r.GetString(0);
                var value = r.IsDBNull(1) ? "" : r.GetString(1);
                if (!result.TryAdd(key, value))
                    throw new InvalidOperationException($"the fingerprint has two objects named \"{key}\"");
            }
        }
        AddData(conn, result);
        return result;
    }

    /// <summary>The data part: table and materialized view rows, sequence values, large objects.</summary>
    public static SortedDictionary<string, string> Data(IReadOnlyDictionary<string, string> fingerprint) =>
        new(fingerprint.Where(kv => DataKinds.Any(k => kv.Key.StartsWith(k + " ", StringComparison.Ordinal))).ToDictionary(), StringComparer.Ordinal);

    /// <summary>Each difference on a line of its own, empty when the fingerprints are equal.</summary>
    public static string Differences(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual,
        string expectedName = "expected", string actualName = "actual")
    {
        var text = new StringBuilder();
        foreach (var key in expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal))
        {
            bool inExpected = expected.TryGetValue(key, out var e), inActual = actual.TryGetValue(key, out var a);
            if (!inActual)
                text.Append($"only in {expectedName}: {key} = {e}\n");
            else if (!inExpected)
                text.Append($"only in {actualName}: {key} = {a}\n");
            else if (e != a)
                text.Append($"differs: {key}\n  {expectedName}: {e}\n  {actualName}: {a}\n");
        }
        return text.ToString();
    }

    // A user object: not in a system schema, and not created by an extension's script.
    private const string UserSchema = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";
    private static string NotInExtension(string catalog, string oid) =>
        $"NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass AND e.objid = {oid} AND e.deptype = 'e')";

    private static readonly string Rel = "quote_ident(n.nspname) || '.' || quote_ident(c.relname)";

    private static readonly string[] CatalogQueries =
    [
        $"""
        SELECT 'schema ' || quote_ident(n.nspname), concat_ws(' ', 'owner=' || pg_get_userbyid(n.nspowner), 'acl=' || n.nspacl::text)
        FROM pg_namespace n WHERE {UserSchema} AND {NotInExtension("pg_namespace", "n.oid")}
        """,
        """
        SELECT 'extension ' || quote_ident(x.extname), x.extversion || ' in ' || quote_ident(n.nspname)
        FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
        """,
        $"""
        SELECT 'relation ' || {Rel}, concat_ws(' ', 'kind=' || c.relkind::text, 'persistence=' || c.relpersistence::text, 'owner=' || pg_get_userbyid(c.relowner),
               'am=' || am.amname, 'rls=' || c.relrowsecurity, 'force_rls=' || c.relforcerowsecurity, 'replica_identity=' || c.relreplident::text,
               'populated=' || c.relispopulated, 'options=' || c.reloptions::text, 'partition_key=' || pg_get_partkeydef(c.oid),
               'bound=' || pg_get_expr(c.relpartbound, c.oid), 'acl=' || c.relacl::text)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_am am ON am.oid = c.relam
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND {UserSchema} AND {NotInExtension("pg_class", "c.oid")}
        """,
        $"""
        SELECT 'column ' || {Rel} || '.' || quote_ident(a.attname),
               concat_ws(' ', '#' || a.attnum, format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN 'not null' END,
                 'default=' || pg_get_expr(d.adbin, d.adrelid), 'identity=' || nullif(a.attidentity, '')::text, 'generated=' || nullif(a.attgenerated, '')::text,
                 'collation=' || CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END,
                 'local=' || a.attislocal, 'inherited=' || a.attinhcount, 'storage=' || a.attstorage::text, 'acl=' || a.attacl::text)
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND {UserSchema} AND {NotInExtension("pg_class", "c.oid")}
        """,
        // Partitions, inheritance children and attached partition indexes.
        $"""
        SELECT 'inherits ' || {Rel} || ' from ' || quote_ident(pn.nspname) || '.' || quote_ident(p.relname), 'position=' || i.inhseqno
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
        WHERE {UserSchema}
        """,
        $"""
        SELECT 'index ' || {Rel}, concat_ws(' ', pg_get_indexdef(i.indexrelid), CASE WHEN i.indisprimary THEN 'primary' END,
               CASE WHEN i.indisclustered THEN 'clustered' END, CASE WHEN i.indisreplident THEN 'replica identity' END,
               'valid=' || i.indisvalid, 'ready=' || i.indisready, 'live=' || i.indislive)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE {UserSchema} AND {NotInExtension("pg_class", "c.oid")}
        """,
        $"""
        SELECT 'constraint ' || coalesce({Rel}, 'type ' || co.contypid::regtype::text) || '.' || quote_ident(co.conname),
               concat_ws(' ', co.contype, pg_get_constraintdef(co.oid), 'validated=' || co.convalidated,
                 'index=' || ic.relname, 'local=' || co.conislocal, 'inherited=' || co.coninhcount, CASE WHEN co.connoinherit THEN 'no inherit' END)
        FROM pg_constraint co JOIN pg_namespace cn ON cn.oid = co.connamespace
          LEFT JOIN pg_class c ON c.oid = co.conrelid LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_class ic ON ic.oid = co.conindid
        WHERE {UserSchema.Replace("n.", "cn.")} AND {NotInExtension("pg_constraint", "co.oid")}
        """,
        $"""
        SELECT 'trigger ' || {Rel} || '.' || quote_ident(tg.tgname), pg_get_triggerdef(tg.oid) || ' enabled=' || tg.tgenabled::text
        FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT tg.tgisinternal AND {UserSchema}
        """,
        $"""
        SELECT 'policy ' || {Rel} || '.' || quote_ident(p.polname),
               concat_ws(' ', 'command=' || p.polcmd::text, CASE WHEN p.polpermissive THEN 'permissive' ELSE 'restrictive' END,
                 'to=' || (SELECT string_agg(x.role, ',' ORDER BY x.role)
                           FROM (SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END AS role FROM unnest(p.polroles) r) x),
                 'using=' || pg_get_expr(p.polqual, p.polrelid), 'check=' || pg_get_expr(p.polwithcheck, p.polrelid))
        FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE {UserSchema}
        """,
        $"""
        SELECT 'rule ' || {Rel} || '.' || quote_ident(rw.rulename), pg_get_ruledef(rw.oid) || ' enabled=' || rw.ev_enabled::text
        FROM pg_rewrite rw JOIN pg_class c ON c.oid = rw.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE rw.rulename <> '_RETURN' AND {UserSchema}
        """,
        $"""
        SELECT 'view ' || {Rel}, pg_get_viewdef(c.oid)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND {UserSchema} AND {NotInExtension("pg_class", "c.oid")}
        """,
        $"""
        SELECT 'function ' || p.oid::regprocedure::text,
               concat_ws(' ', 'owner=' || pg_get_userbyid(p.proowner), 'acl=' || p.proacl::text,
                 CASE WHEN p.prokind = 'a' THEN (SELECT concat_ws(' ', 'aggregate', ag.aggtransfn::text, ag.aggtranstype::regtype::text,
                   'final=' || nullif(ag.aggfinalfn::oid, 0)::regproc::text, 'init=' || ag.agginitval) FROM pg_aggregate ag WHERE ag.aggfnoid = p.oid)
                 ELSE pg_get_functiondef(p.oid) END)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE {UserSchema} AND {NotInExtension("pg_proc", "p.oid")}
        """,
        // Enums, domains, ranges and base types; row types of relations and array types follow their element.
        $"""
        SELECT 'type ' || t.oid::regtype::text,
               concat_ws(' ', 'kind=' || t.typtype::text, 'owner=' || pg_get_userbyid(t.typowner), 'acl=' || t.typacl::text,
                 'base=' || CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
                 CASE WHEN t.typnotnull THEN 'not null' END, 'default=' || t.typdefault,
                 'labels=' || (SELECT string_agg(quote_literal(e.enumlabel), ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
                 'subtype=' || (SELECT rg.rngsubtype::regtype::text FROM pg_range rg WHERE rg.rngtypid = t.oid))
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd', 'r', 'b') AND t.typelem = 0 AND {UserSchema} AND {NotInExtension("pg_type", "t.oid")}
        """,
        $"""
        SELECT 'statistics ' || quote_ident(n.nspname) || '.' || quote_ident(s.stxname), pg_get_statisticsobjdef(s.oid)
        FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace
        WHERE {UserSchema}
        """,
        """
        SELECT 'default acl ' || pg_get_userbyid(d.defaclrole) || ' ' || coalesce(quote_ident(n.nspname), '(all schemas)') || ' ' || d.defaclobjtype::text,
               d.defaclacl::text
        FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
        """,
        // 16384 is FirstNormalObjectId: below it, the objects initdb made.
        """
        SELECT 'comment ' || pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description
        FROM pg_description d
        WHERE d.objoid >= 16384
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = d.classoid AND e.objid = d.objoid AND e.deptype = 'e')
        """,
        """
        SELECT 'object ' || pg_describe_object(o.classid, o.objid, 0), ''
        FROM (SELECT 'pg_collation'::regclass AS classid, oid AS objid FROM pg_collation
              UNION ALL SELECT 'pg_conversion'::regclass, oid FROM pg_conversion
              UNION ALL SELECT 'pg_operator'::regclass, oid FROM pg_operator
              UNION ALL SELECT 'pg_opclass'::regclass, oid FROM pg_opclass
              UNION ALL SELECT 'pg_opfamily'::regclass, oid FROM pg_opfamily
              UNION ALL SELECT 'pg_cast'::regclass, oid FROM pg_cast
              UNION ALL SELECT 'pg_ts_config'::regclass, oid FROM pg_ts_config
              UNION ALL SELECT 'pg_ts_dict'::regclass, oid FROM pg_ts_dict
              UNION ALL SELECT 'pg_language'::regclass, oid FROM pg_language
              UNION ALL SELECT 'pg_transform'::regclass, oid FROM pg_transform
              UNION ALL SELECT 'pg_event_trigger'::regclass, oid FROM pg_event_trigger
              UNION ALL SELECT 'pg_publication'::regclass, oid FROM pg_publication
              UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, oid FROM pg_foreign_data_wrapper
              UNION ALL SELECT 'pg_foreign_server'::regclass, oid FROM pg_foreign_server) o
        WHERE o.objid >= 16384
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = o.classid AND e.objid = o.objid AND e.deptype = 'e')
        """,
        // Content apart from owner and privileges, which a restore without them does not keep.
        """
        SELECT 'large object ' || m.oid::text, 'md5=' || md5(lo_get(m.oid)) FROM pg_largeobject_metadata m
        UNION ALL
        SELECT 'object large object ' || m.oid::text, concat_ws(' ', 'owner=' || pg_get_userbyid(m.lomowner), 'acl=' || m.lomacl::text)
        FROM pg_largeobject_metadata m
        """,
    ];

    private static void AddData(NpgsqlConnection conn, SortedDictionary<string, string> result)
    {
        var relations = new List<(string Name, char Kind, bool Populated)>();
        using (var cmd = new NpgsqlCommand($"""
            SELECT {Rel}, c.relkind, c.relispopulated
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm', 'S') AND {UserSchema} AND {NotInExtension("pg_class", "c.oid")}
            """, conn))
        using (var r = cmd.ExecuteReader())
            while (r.Read())
                relations.Add((r.GetString(0), r.GetChar(1), r.GetBoolean(2)));

        foreach (var (name, kind, populated) in relations)
        {
            if (kind == 'S')
            {
                result["sequence " + name] = Scalar(conn, $"""
                    SELECT concat_ws(' ', 'last_value=' || s.last_value, 'is_called=' || s.is_called, 'type=' || q.seqtypid::regtype::text,
                           'start=' || q.seqstart, 'increment=' || q.seqincrement, 'min=' || q.seqmin, 'max=' || q.seqmax, 'cache=' || q.seqcache,
                           CASE WHEN q.seqcycle THEN 'cycle' END)
                    FROM {name} s, pg_sequence q WHERE q.seqrelid = '{name.Replace("'", "''")}'::regclass
                    """);
            }
            else if (!populated)
                result["rows " + name] = "not populated";
            else
            {
                // ONLY: an inheritance parent's fingerprint holds its own rows, each child has its own.
                result["rows " + name] = Scalar(conn,
                    $"SELECT count(*) || ' rows, md5 ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE \"C\")), '-') FROM ONLY {name} t");
            }
        }
    }

    private static string Scalar(NpgsqlConnection conn, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 600 };
        return Convert.ToString(cmd.ExecuteScalar()) ?? "";
    }

    private static void Execute(NpgsqlConnection conn, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, conn);
        cmd.ExecuteNonQuery();
    }
}
