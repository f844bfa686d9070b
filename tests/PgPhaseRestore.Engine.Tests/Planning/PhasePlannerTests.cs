using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Engine.Tests.Planning;

public sealed class PhasePlannerTests
{
    private static int PhaseOf(RestorePlan plan, int dumpId) =>
        plan.Phases.Single(p => p.Entries.Any(e => e.DumpId == dumpId)).Number;

    /// <summary>Every entry type pg_dump 12 to 18 writes, with its section, and where each strategy puts it.</summary>
    public static TheoryData<string, TocSection, string, int, int> EntryTypes => new()
    {
        // type, section, definition, PreCreate phase, Standard phase
        { "SCHEMA", TocSection.PreData, "CREATE SCHEMA s;", 1, 1 },
        { "EXTENSION", TocSection.PreData, "CREATE EXTENSION x;", 1, 1 },
        { "PROCEDURAL LANGUAGE", TocSection.PreData, "CREATE LANGUAGE l;", 1, 1 },
        { "TYPE", TocSection.PreData, "CREATE TYPE t;", 1, 1 },
        { "SHELL TYPE", TocSection.PreData, "CREATE TYPE t;", 1, 1 },
        { "DOMAIN", TocSection.PreData, "CREATE DOMAIN d int;", 1, 1 },
        { "FUNCTION", TocSection.PreData, "CREATE FUNCTION f();", 1, 1 },
        { "PROCEDURE", TocSection.PreData, "CREATE PROCEDURE p();", 1, 1 },
        { "AGGREGATE", TocSection.PreData, "CREATE AGGREGATE a;", 1, 1 },
        { "OPERATOR", TocSection.PreData, "CREATE OPERATOR o;", 1, 1 },
        { "OPERATOR CLASS", TocSection.PreData, "CREATE OPERATOR CLASS c;", 1, 1 },
        { "OPERATOR FAMILY", TocSection.PreData, "CREATE OPERATOR FAMILY f;", 1, 1 },
        { "ACCESS METHOD", TocSection.PreData, "CREATE ACCESS METHOD m;", 1, 1 },
        { "CAST", TocSection.PreData, "CREATE CAST c;", 1, 1 },
        { "COLLATION", TocSection.PreData, "CREATE COLLATION c;", 1, 1 },
        { "CONVERSION", TocSection.PreData, "CREATE CONVERSION c;", 1, 1 },
        { "TRANSFORM", TocSection.PreData, "CREATE TRANSFORM t;", 1, 1 },
        { "TEXT SEARCH PARSER", TocSection.PreData, "CREATE TEXT SEARCH PARSER p;", 1, 1 },
        { "TEXT SEARCH TEMPLATE", TocSection.PreData, "CREATE TEXT SEARCH TEMPLATE t;", 1, 1 },
        { "TEXT SEARCH DICTIONARY", TocSection.PreData, "CREATE TEXT SEARCH DICTIONARY d;", 1, 1 },
        { "TEXT SEARCH CONFIGURATION", TocSection.PreData, "CREATE TEXT SEARCH CONFIGURATION c;", 1, 1 },
        { "FOREIGN DATA WRAPPER", TocSection.PreData, "CREATE FOREIGN DATA WRAPPER w;", 1, 1 },
        { "SERVER", TocSection.PreData, "CREATE SERVER s;", 1, 1 },
        { "USER MAPPING", TocSection.PreData, "CREATE USER MAPPING;", 1, 1 },
        { "FOREIGN TABLE", TocSection.PreData, "CREATE FOREIGN TABLE f;", 1, 1 },
        { "TABLE", TocSection.PreData, "CREATE TABLE t;", 1, 1 },
        { "TABLE ATTACH", TocSection.PreData, "ALTER TABLE ONLY p ATTACH PARTITION c;", 1, 1 },
        { "DEFAULT", TocSection.PreData, "ALTER TABLE t ALTER COLUMN c SET DEFAULT 1;", 1, 1 },
        { "SEQUENCE", TocSection.PreData, "CREATE SEQUENCE s;", 1, 1 },
        { "SEQUENCE OWNED BY", TocSection.PreData, "ALTER SEQUENCE s OWNED BY t.c;", 1, 1 },
        { "VIEW", TocSection.PreData, "CREATE VIEW v AS SELECT 1;", 1, 1 },
        { "MATERIALIZED VIEW", TocSection.PreData, "CREATE MATERIALIZED VIEW m AS SELECT 1 WITH NO DATA;", 1, 1 },
        { "BLOB", TocSection.PreData, "SELECT pg_catalog.lo_create('16392');", 1, 1 },
        { "BLOB METADATA", TocSection.PreData, "16392\n16393\n", 1, 1 },
        { "SEQUENCE SET", TocSection.Data, "SELECT pg_catalog.setval('s', 42, true);", 3, 3 },
        { "STATISTICS DATA", TocSection.Data, "SELECT pg_catalog.pg_restore_relation_stats(...);", 3, 3 },
        { "STATISTICS DATA", TocSection.PostData, "SELECT pg_catalog.pg_restore_relation_stats(...);", 3, 4 },
        { "INDEX", TocSection.PostData, "CREATE INDEX i ON t (c);", 2, 4 },
        { "INDEX ATTACH", TocSection.PostData, "ALTER INDEX p ATTACH PARTITION c;", 2, 4 },
        { "CONSTRAINT", TocSection.PostData, "ALTER TABLE ONLY t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);", 2, 4 },
        { "CONSTRAINT", TocSection.PostData, "ALTER TABLE ONLY t\n    ADD CONSTRAINT t_key UNIQUE (c) DEFERRABLE;", 2, 4 },
        { "CONSTRAINT", TocSection.PostData, "ALTER TABLE ONLY t\n    ADD CONSTRAINT t_excl EXCLUDE USING gist (r WITH &&);", 2, 4 },
        { "CONSTRAINT", TocSection.PostData, "ALTER TABLE t\n    ADD CONSTRAINT t_nn NOT NULL c NOT VALID;", 4, 4 },
        { "CHECK CONSTRAINT", TocSection.PostData, "ALTER TABLE t\n    ADD CONSTRAINT c CHECK (x > 0) NOT VALID;", 4, 4 },
        { "FK CONSTRAINT", TocSection.PostData, "ALTER TABLE ONLY t\n    ADD CONSTRAINT t_fk FOREIGN KEY (a) REFERENCES u(a);", 4, 4 },
        { "TRIGGER", TocSection.PostData, "CREATE TRIGGER tr BEFORE INSERT ON t;", 4, 4 },
        { "EVENT TRIGGER", TocSection.PostData, "CREATE EVENT TRIGGER e;", 4, 4 },
        { "RULE", TocSection.PostData, "CREATE RULE r AS ON INSERT TO t DO ALSO NOTHING;", 4, 4 },
        { "ROW SECURITY", TocSection.PostData, "ALTER TABLE t ENABLE ROW LEVEL SECURITY;", 4, 4 },
        { "POLICY", TocSection.PostData, "CREATE POLICY p ON t;", 4, 4 },
        { "PUBLICATION", TocSection.PostData, "CREATE PUBLICATION p;", 4, 4 },
        { "PUBLICATION TABLE", TocSection.PostData, "ALTER PUBLICATION p ADD TABLE t;", 4, 4 },
        { "PUBLICATION TABLES IN SCHEMA", TocSection.PostData, "ALTER PUBLICATION p ADD TABLES IN SCHEMA s;", 4, 4 },
        { "SUBSCRIPTION", TocSection.PostData, "CREATE SUBSCRIPTION s;", 4, 4 },
        { "STATISTICS", TocSection.PostData, "CREATE STATISTICS s ON a, b FROM t;", 4, 4 },
        { "MATERIALIZED VIEW DATA", TocSection.PostData, "REFRESH MATERIALIZED VIEW m;", 4, 4 },
        { "DEFAULT ACL", TocSection.PostData, "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;", 4, 4 },
        { "ACL", TocSection.None, "GRANT SELECT ON TABLE t TO PUBLIC;", 4, 4 },
    };

    [Theory]
    [MemberData(nameof(EntryTypes))]
    public void Each_entry_type_lands_in_its_phase(string type, TocSection section, string definition, int preCreate, int standard)
    {
        var toc = new TocBuilder();
        int id = toc.Add(type, section, "x", definition);
        var archive = toc.Build();

        Assert.Equal(preCreate, PhaseOf(PhasePlanner.Plan(archive), id));
        Assert.Equal(standard, PhaseOf(PhasePlanner.Plan(archive, new PlanOptions { Strategy = RestoreStrategy.Standard }), id));
    }

    [Fact]
    public void Data_entries_go_to_phase_3_in_both_strategies()
    {
        var toc = new TocBuilder();
        int table = toc.Add("TABLE", TocSection.PreData, "t");
        int data = toc.Add("TABLE DATA", TocSection.Data, "t", deps: [table], hadDumper: true);
        int blobs = toc.Add("BLOBS", TocSection.Data, "BLOBS", schema: null, hadDumper: true);
        // PG 17+ writes several BLOBS entries, one per group of large objects.
        int blobs2 = toc.Add("BLOBS", TocSection.Data, "BLOBS", schema: null, hadDumper: true);
        foreach (var strategy in Enum.GetValues<RestoreStrategy>())
        {
            var plan = PhasePlanner.Plan(toc.Build(), new PlanOptions { Strategy = strategy });
            Assert.Equal([data, blobs, blobs2], plan[PhaseKind.Data].Entries.Select(e => e.DumpId));
            Assert.Equal(1, PhaseOf(plan, table));
        }
    }

    /// <summary>A key WITHOUT OVERLAPS (PostgreSQL 18) is a GiST index, as an exclusion constraint is: Auto never sorts it late.</summary>
    [Fact]
    public void A_key_without_overlaps_is_no_btree_for_Auto()
    {
        var toc = new TocBuilder();
        int table = toc.Add("TABLE", TocSection.PreData, "t", "CREATE TABLE public.t (\n    id integer NOT NULL,\n    during tstzrange NOT NULL\n);");
        toc.Add("TABLE DATA", TocSection.Data, "t", deps: [table], hadDumper: true);
        int period = toc.Add("CONSTRAINT", TocSection.PostData, "t t_pkey", "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id, during WITHOUT OVERLAPS);\n", [table]);
        int plain = toc.Add("CONSTRAINT", TocSection.PostData, "t t_id_key", "ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_id_key UNIQUE (id);\n", [table]);
        var decisions = PhasePlanner.Plan(toc.Build(), new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = 1L << 30 }).IndexDecisions;
        Assert.StartsWith("not a btree index", decisions.Single(d => d.Entry.DumpId == period).Reason);
        Assert.DoesNotContain("btree", decisions.Single(d => d.Entry.DumpId == plain).Reason);
    }

    [Fact]
    public void Comments_follow_the_object_they_describe()
    {
        var toc = new TocBuilder();
        int table = toc.Add("TABLE", TocSection.PreData, "t");
        int tableComment = toc.Add("COMMENT", TocSection.None, "TABLE t", deps: [table]);
        int index = toc.Add("INDEX", TocSection.PostData, "t_idx", deps: [table]);
        int indexComment = toc.Add("COMMENT", TocSection.None, "INDEX t_idx", deps: [index]);
        int pk = toc.Add("CONSTRAINT", TocSection.PostData, "t t_pkey", "ALTER TABLE ONLY t ADD CONSTRAINT t_pkey PRIMARY KEY (id);", [table]);
        int pkLabel = toc.Add("SECURITY LABEL", TocSection.None, "CONSTRAINT t_pkey ON t", deps: [pk]);
        int trigger = toc.Add("TRIGGER", TocSection.PostData, "t tr", deps: [table]);
        int triggerComment = toc.Add("COMMENT", TocSection.None, "TRIGGER tr ON t", deps: [trigger]);
        int blob = toc.Add("BLOB", TocSection.PreData, "16392", "SELECT pg_catalog.lo_create('16392');", schema: null);
        int blobComment = toc.Add("COMMENT", TocSection.None, "LARGE OBJECT 16392", deps: [blob], schema: null);

        var plan = PhasePlanner.Plan(toc.Build());
        Assert.Equal(1, PhaseOf(plan, tableComment));
        Assert.Equal(2, PhaseOf(plan, indexComment));
        Assert.Equal(2, PhaseOf(plan, pkLabel));
        Assert.Equal(4, PhaseOf(plan, triggerComment));
        Assert.Equal(1, PhaseOf(plan, blobComment));
        // A comment never runs before its object: it is later in the same phase.
        var phase2 = plan[PhaseKind.Indexes].Entries.Select(e => e.DumpId).ToList();
        Assert.True(phase2.IndexOf(indexComment) > phase2.IndexOf(index));

        var standard = PhasePlanner.Plan(toc.Build(), new PlanOptions { Strategy = RestoreStrategy.Standard });
        Assert.Equal(4, PhaseOf(standard, indexComment));
        Assert.Empty(standard[PhaseKind.Indexes].Entries);
    }

    [Fact]
    public void Partition_index_attachments_move_with_both_index_backed_objects()
    {
        var toc = new TocBuilder();
        int parent = toc.Add("TABLE", TocSection.PreData, "m", relKind: 'p');
        int part = toc.Add("TABLE", TocSection.PreData, "m_2024", deps: [parent], relKind: 'r');
        int parentPk = toc.Add("CONSTRAINT", TocSection.PostData, "m m_pkey", "ALTER TABLE ONLY m\n    ADD CONSTRAINT m_pkey PRIMARY KEY (id, at);", [parent]);
        int partPk = toc.Add("CONSTRAINT", TocSection.PostData, "m_2024 m_2024_pkey", "ALTER TABLE ONLY m_2024\n    ADD CONSTRAINT m_2024_pkey PRIMARY KEY (id, at);", [parentPk, part]);
        int attach = toc.Add("INDEX ATTACH", TocSection.PostData, "m_2024_pkey", "ALTER INDEX m_pkey ATTACH PARTITION m_2024_pkey;", [partPk, parentPk, part, parent]);
        int fk = toc.Add("FK CONSTRAINT", TocSection.PostData, "o o_fk", "ALTER TABLE o ADD CONSTRAINT o_fk FOREIGN KEY (a, b) REFERENCES m(id, at);", [attach, parentPk]);

        var plan = PhasePlanner.Plan(toc.Build());
        Assert.Equal([parentPk, partPk, attach], plan[PhaseKind.Indexes].Entries.Select(e => e.DumpId));
        Assert.Equal(4, PhaseOf(plan, fk));
    }

    [Fact]
    public void An_index_that_depends_on_a_later_object_moves_after_it()
    {
        var toc = new TocBuilder();
        int table = toc.Add("TABLE", TocSection.PreData, "t");
        int check = toc.Add("CHECK CONSTRAINT", TocSection.PostData, "t c", "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;", [table]);
        int index = toc.Add("INDEX", TocSection.PostData, "t_idx", "CREATE INDEX t_idx ON t (a);", [table, check]);
        var plan = PhasePlanner.Plan(toc.Build());
        Assert.Equal(4, PhaseOf(plan, index));
    }

    [Fact]
    public void Statistics_data_comes_after_every_table_is_loaded()
    {
        var toc = new TocBuilder();
        int t = toc.Add("TABLE", TocSection.PreData, "t");
        int stats = toc.Add("STATISTICS DATA", TocSection.Data, "t", "SELECT pg_restore_relation_stats(...);", [t]);
        int data = toc.Add("TABLE DATA", TocSection.Data, "t", deps: [t], hadDumper: true);
        var plan = PhasePlanner.Plan(toc.Build());
        Assert.Equal([data, stats], plan[PhaseKind.Data].Entries.Select(e => e.DumpId));
    }

    [Fact]
    public void Database_entries_and_empty_entries_are_excluded_with_a_reason()
    {
        var toc = new TocBuilder();
        int db = toc.Add("DATABASE", TocSection.PreData, "db", "CREATE DATABASE db;", schema: null);
        int props = toc.Add("DATABASE PROPERTIES", TocSection.PreData, "db", "ALTER DATABASE db SET x = 1;", schema: null);
        int dbComment = toc.Add("COMMENT", TocSection.None, "DATABASE db", deps: [db], schema: null);
        int empty = toc.Add("SCHEMA", TocSection.PreData, "public", definition: "", schema: null);
        var plan = PhasePlanner.Plan(toc.Build());
        Assert.All(plan.Phases, p => Assert.Empty(p.Entries));
        Assert.Equal([db, props, dbComment, empty], plan.Excluded.Select(x => x.Entry.DumpId));
        Assert.StartsWith("database-level entry", plan.Excluded[0].Reason);
        Assert.StartsWith("nothing to restore", plan.Excluded[3].Reason);
    }

    [Fact]
    public void Filters_take_dependents_along_and_say_why()
    {
        var toc = new TocBuilder();
        int keep = toc.Add("SCHEMA", TocSection.PreData, "app", schema: null);
        int drop = toc.Add("SCHEMA", TocSection.PreData, "scratch", schema: null);
        int t1 = toc.Add("TABLE", TocSection.PreData, "orders", deps: [keep], schema: "app");
        int t2 = toc.Add("TABLE", TocSection.PreData, "tmp", deps: [drop], schema: "scratch");
        int d1 = toc.Add("TABLE DATA", TocSection.Data, "orders", deps: [t1], schema: "app", hadDumper: true);
        int d2 = toc.Add("TABLE DATA", TocSection.Data, "tmp", deps: [t2], schema: "scratch", hadDumper: true);
        int i2 = toc.Add("INDEX", TocSection.PostData, "tmp_idx", deps: [t2], schema: "scratch");
        int c2 = toc.Add("COMMENT", TocSection.None, "INDEX tmp_idx", deps: [i2], schema: "scratch");
        int grant = toc.Add("ACL", TocSection.None, "TABLE orders", "GRANT SELECT ON app.orders TO r;", [t1], schema: "app");

        var plan = PhasePlanner.Plan(toc.Build(), new PlanOptions { ExcludeSchemas = ["scratch"], SkipPrivileges = true });
        var restored = plan.Phases.SelectMany(p => p.Entries).Select(e => e.DumpId).ToHashSet();
        Assert.Equal(new HashSet<int> { keep, t1, d1 }, restored);
        var reasons = plan.Excluded.ToDictionary(x => x.Entry.DumpId, x => x.Reason);
        Assert.Equal("schema scratch excluded", reasons[drop]);
        Assert.Equal($"depends on excluded entry {drop}; SCHEMA scratch", reasons[t2]);
        Assert.Equal("privileges skipped", reasons[grant]);
        Assert.StartsWith("depends on excluded entry", reasons[c2]);

        var onlyOrders = PhasePlanner.Plan(toc.Build(), new PlanOptions { IncludeTables = ["app.orders"] });
        var kept = onlyOrders.Phases.SelectMany(p => p.Entries).Select(e => e.DumpId).ToHashSet();
        Assert.Contains(d1, kept);
        Assert.DoesNotContain(d2, kept);
        Assert.DoesNotContain(i2, kept);

        var noData = PhasePlanner.Plan(toc.Build(), new PlanOptions { ExcludeTypes = ["TABLE DATA"] });
        Assert.Empty(noData[PhaseKind.Data].Entries);
        Assert.Contains(noData[PhaseKind.Indexes].Entries, e => e.DumpId == i2);
    }

    [Fact]
    public void A_table_selection_keeps_the_table_what_belongs_to_it_and_what_it_needs_and_nothing_else()
    {
        var toc = new TocBuilder();
        int shop = toc.Add("SCHEMA", TocSection.PreData, "shop", schema: null);
        int shopComment = toc.Add("COMMENT", TocSection.None, "SCHEMA shop", deps: [shop], schema: null);
        int shopGrant = toc.Add("ACL", TocSection.None, "SCHEMA shop", deps: [shop], schema: null);
        int other = toc.Add("SCHEMA", TocSection.PreData, "other", schema: null);
        int mood = toc.Add("TYPE", TocSection.PreData, "mood", deps: [other], schema: "other");
        int func = toc.Add("FUNCTION", TocSection.PreData, "f()", deps: [shop], schema: "shop");
        int trgFunc = toc.Add("FUNCTION", TocSection.PreData, "trg()", deps: [shop], schema: "shop");
        int freeSeq = toc.Add("SEQUENCE", TocSection.PreData, "free_seq", deps: [shop], schema: "shop");
        int orders = toc.Add("TABLE", TocSection.PreData, "orders", deps: [shop], schema: "shop");
        int products = toc.Add("TABLE", TocSection.PreData, "products", deps: [shop, mood], schema: "shop");
        int seq = toc.Add("SEQUENCE", TocSection.PreData, "products_id_seq", deps: [products, shop], schema: "shop");
        int ownedBy = toc.Add("SEQUENCE OWNED BY", TocSection.PreData, "products_id_seq", deps: [seq], schema: "shop");
        int view = toc.Add("VIEW", TocSection.PreData, "cheap", deps: [products, shop], schema: "shop");
        int dflt = toc.Add("DEFAULT", TocSection.PreData, "products id", deps: [products, seq], schema: "shop");
        int data = toc.Add("TABLE DATA", TocSection.Data, "products", deps: [products], schema: "shop", hadDumper: true);
        int ordersData = toc.Add("TABLE DATA", TocSection.Data, "orders", deps: [orders], schema: "shop", hadDumper: true);
        int seqSet = toc.Add("SEQUENCE SET", TocSection.Data, "products_id_seq", deps: [seq], schema: "shop");
        int freeSet = toc.Add("SEQUENCE SET", TocSection.Data, "free_seq", deps: [freeSeq], schema: "shop");
        int pkey = toc.Add("CONSTRAINT", TocSection.PostData, "products products_pkey", deps: [products], schema: "shop");
        int ordersPkey = toc.Add("CONSTRAINT", TocSection.PostData, "orders orders_pkey", deps: [orders], schema: "shop");
        int index = toc.Add("INDEX", TocSection.PostData, "products_name", deps: [products], schema: "shop");
        int trigger = toc.Add("TRIGGER", TocSection.PostData, "products tr", deps: [products, trgFunc], schema: "shop");
        int fkIn = toc.Add("FK CONSTRAINT", TocSection.PostData, "orders orders_product_fkey", deps: [pkey, orders, products], schema: "shop");
        int fkOut = toc.Add("FK CONSTRAINT", TocSection.PostData, "products products_order_fkey", deps: [ordersPkey, products], schema: "shop");
        int grant = toc.Add("ACL", TocSection.None, "TABLE products", deps: [products], schema: "shop");
        var archive = toc.Build();

        HashSet<int> Kept(PlanOptions o) => PhasePlanner.Plan(archive, o).Phases.SelectMany(p => p.Entries).Select(e => e.DumpId).ToHashSet();

        // Its schema with its comment and grants, the type of another schema its column has, its trigger's function;
        // its sequence, data, constraints, index, trigger, grant. Not the view over it, the other table, a foreign key
        // to that table, nor the function and sequence it does not need.
        var table = Kept(new PlanOptions { IncludeTables = ["shop.products"] });
        Assert.Equal(new HashSet<int> { shop, shopComment, shopGrant, other, mood, trgFunc, products, seq, ownedBy, dflt, data, seqSet, pkey, index, trigger, grant }, table);
        var plan = PhasePlanner.Plan(archive, new PlanOptions { IncludeTables = ["products"] });
        Assert.Equal(table, plan.Phases.SelectMany(p => p.Entries).Select(e => e.DumpId).ToHashSet());
        Assert.Equal($"depends on excluded entry {ordersPkey}; CONSTRAINT shop.orders orders_pkey", plan.Excluded.Single(x => x.Entry.DumpId == fkOut).Reason);
        Assert.Equal("not selected", plan.Excluded.Single(x => x.Entry.DumpId == view).Reason);

        // A schema: everything in it, and what it needs from elsewhere; less a table left out, and what depends on it.
        var schema = Kept(new PlanOptions { IncludeSchemas = ["shop"], ExcludeTables = ["shop.orders"] });
        Assert.Equal(new HashSet<int> { shop, shopComment, shopGrant, other, mood, func, trgFunc, freeSeq, products, seq, ownedBy, view, dflt, data, seqSet, freeSet,
            pkey, index, trigger, grant }, schema);
        Assert.DoesNotContain(ordersData, schema);
        Assert.DoesNotContain(fkIn, schema);

        // Both: the union.
        Assert.Superset(table, Kept(new PlanOptions { IncludeSchemas = ["other"], IncludeTables = ["shop.products"] }));

        // A name or schema that matches nothing is refused, each named, rather than a plan of nothing.
        var none = Assert.Throws<PgPhaseException>(() => Kept(new PlanOptions { IncludeTables = ["shop.products", "shop.product*", "nope"] }));
        Assert.Equal(PgPhaseErrorCode.InvalidInput, none.Code);
        Assert.StartsWith("the table selection \"shop.product*\", \"nope\" matches no table, view or sequence in ", none.Message, StringComparison.Ordinal);
        var noSchema = Assert.Throws<PgPhaseException>(() => Kept(new PlanOptions { IncludeSchemas = ["shop", "Shop"] }));
        Assert.StartsWith("the schema selection \"Shop\" matches no schema in ", noSchema.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A selected schema keeps the extensions created in it, with their comments: the TOC gives an extension no schema
    /// and no entry depends on it when only its members are used (an exclusion constraint's operator class).
    /// </summary>
    [Fact]
    public void A_schema_selection_keeps_the_extensions_created_in_it()
    {
        var toc = new TocBuilder();
        int pub = toc.Add("SCHEMA", TocSection.PreData, "public", schema: null);
        int odd = toc.Add("SCHEMA", TocSection.PreData, "Odd \"x\"", schema: null);
        int gist = toc.Add("EXTENSION", TocSection.PreData, "btree_gist", "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;\n", schema: null);
        int gistComment = toc.Add("COMMENT", TocSection.None, "EXTENSION btree_gist", deps: [gist], schema: null);
        int trgm = toc.Add("EXTENSION", TocSection.PreData, "pg_trgm", "CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA \"Odd \"\"x\"\"\";\n", schema: null);
        int rooms = toc.Add("TABLE", TocSection.PreData, "rooms", deps: [pub], schema: "public");
        int excl = toc.Add("CONSTRAINT", TocSection.PostData, "rooms rooms_excl", deps: [rooms], schema: "public");
        var archive = toc.Build();
        HashSet<int> Kept(PlanOptions o) => PhasePlanner.Plan(archive, o).Phases.SelectMany(p => p.Entries).Select(e => e.DumpId).ToHashSet();

        Assert.Equal(new HashSet<int> { pub, gist, gistComment, rooms, excl }, Kept(new PlanOptions { IncludeSchemas = ["public"] }));
        Assert.Equal(new HashSet<int> { odd, trgm }, Kept(new PlanOptions { IncludeSchemas = ["Odd \"x\""] }));
        Assert.DoesNotContain(gist, Kept(new PlanOptions { IncludeTables = ["public.rooms"] }));
    }

    [Fact]
    public void Validation_rejects_a_plan_that_drops_or_duplicates_an_entry_or_breaks_order()
    {
        var toc = new TocBuilder();
        int t = toc.Add("TABLE", TocSection.PreData, "t");
        int i = toc.Add("INDEX", TocSection.PostData, "t_idx", deps: [t]);
        var archive = toc.Build();
        var tEntry = archive.FindByDumpId(t)!;
        var iEntry = archive.FindByDumpId(i)!;
        RestorePlan Make(TocEntry[] p1, TocEntry[] p2) => new(archive, RestoreStrategy.PreCreate,
        [
            new(archive, PhaseKind.Schema, RestoreStrategy.PreCreate, p1),
            new(archive, PhaseKind.Indexes, RestoreStrategy.PreCreate, p2),
            new(archive, PhaseKind.Data, RestoreStrategy.PreCreate, []),
            new(archive, PhaseKind.PostData, RestoreStrategy.PreCreate, []),
        ], []);

        Make([tEntry], [iEntry]).Validate();
        Assert.Contains("would be silently dropped", Assert.Throws<PgPhaseException>(() => Make([tEntry], []).Validate()).Message);
        Assert.Contains("and again in phase 2", Assert.Throws<PgPhaseException>(() => Make([tEntry], [tEntry, iEntry]).Validate()).Message);
        Assert.Contains("would run before", Assert.Throws<PgPhaseException>(() => Make([iEntry], [tEntry]).Validate()).Message);
    }

    [Fact]
    public void List_files_contain_exactly_the_phase_entries()
    {
        var toc = new TocBuilder();
        int t = toc.Add("TABLE", TocSection.PreData, "t");
        toc.Add("INDEX", TocSection.PostData, "t_idx", deps: [t]);
        var plan = PhasePlanner.Plan(toc.Build());
        var lines = plan[PhaseKind.Indexes].ToListFile().Split('\n').Where(l => l.Length > 0 && !l.StartsWith(';')).ToArray();
        Assert.Equal(["101; 0 0 INDEX public t_idx owner"], lines);
    }
}
