using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;
using Xunit.Abstractions;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>
/// `pgphase copy` with a selection, as a separate process: -n, -N, -t and -T mean what is copied, once, for the
/// dump and the restore; a table comes with its schema, and nothing else of the source comes along.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class CopyCommandTests : IClassFixture<CopyCommandTests.Fixture>, IDisposable
{
    /// <summary>
    /// A source whose table of interest lives in a schema of its own, beside a table referencing it, a function, a
    /// view over it, a table in another schema, a table in public and a large object.
    /// </summary>
    public sealed class Fixture
    {
        public Fixture(Services services)
        {
            Cluster = services.Postgres;
            Source = Cluster.CreateDatabase("copysel");
            Cluster.Execute(Source, """
                CREATE SCHEMA shop;
                COMMENT ON SCHEMA shop IS 'the shop';
                CREATE TABLE shop.products (id serial PRIMARY KEY, name text NOT NULL, price numeric);
                CREATE INDEX products_name ON shop.products (name);
                INSERT INTO shop.products (name, price) SELECT 'product ' || g, g / 10.0 FROM generate_series(1, 2000) g;
                CREATE TABLE shop.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, product int NOT NULL REFERENCES shop.products);
                INSERT INTO shop.orders (product) SELECT g FROM generate_series(1, 300) g;
                CREATE FUNCTION shop.price_of(int) RETURNS numeric LANGUAGE sql AS 'SELECT price FROM shop.products WHERE id = $1';
                CREATE VIEW shop.cheap AS SELECT * FROM shop.products WHERE price < 10;
                CREATE SCHEMA extra;
                CREATE TABLE extra.things (id int PRIMARY KEY); INSERT INTO extra.things SELECT generate_series(1, 50);
                CREATE TABLE public.other (a int); INSERT INTO public.other VALUES (1), (2);
                SELECT lo_from_bytea(0, 'large object bytes');
                """);
        }

        public PostgresCluster Cluster { get; }
        public string Source { get; }
    }

    private readonly Fixture _f;
    private readonly ITestOutputHelper _output;
    private readonly TempDir _dir = new("pgphase-copysel-");

    public CopyCommandTests(Fixture fixture, ITestOutputHelper output)
    {
        _f = fixture;
        _output = output;
    }

    private PostgresCluster Cluster => _f.Cluster;

    /// <summary>The source and target variables of a copy from the fixture's source into <paramref name="target"/>.</summary>
    private Dictionary<string, string?> Environment(string target) => new()
    {
        ["SRC_PGHOST"] = Cluster.Host, ["SRC_PGPORT"] = Cluster.Port.ToString(), ["SRC_PGUSER"] = Cluster.User,
        ["SRC_PGPASSWORD"] = Cluster.Password, ["SRC_DBNAME"] = _f.Source,
        ["DST_PGHOST"] = Cluster.Host, ["DST_PGPORT"] = Cluster.Port.ToString(), ["DST_PGUSER"] = Cluster.User,
        ["DST_PGPASSWORD"] = Cluster.Password, ["DST_DBNAME"] = target,
        ["PGHOST"] = null, ["PGPORT"] = null, ["PGUSER"] = null, ["PGPASSWORD"] = null, ["PGDATABASE"] = null,
    };

    /// <summary>Copies the source into a new database with the given selection; returns the target's name and the backup's location.</summary>
    private (string Target, string Backup) Copy(params string[] selection)
    {
        var target = $"copysel_{Guid.NewGuid():N}"[..20];
        var env = Environment(target);
        var r = PgPhaseCli.Run(env, ["copy", "--to", _dir.Path + "/", "--name", target, "--create", "--quiet", .. selection]);
        _output.WriteLine($"pgphase copy {string.Join(' ', selection)} -> {r.ExitCode}\n{r.StdErr}{r.StdOut}");
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        return (target, Path.Combine(_dir.Path, _f.Source, target + ".dump"));
    }

    /// <summary>A copy onto its own source is refused before anything is dumped.</summary>
    [Fact]
    public void A_copy_whose_target_is_its_source_is_refused_before_the_backup()
    {
        var env = Environment(_f.Source);
        var folder = Path.Combine(_dir.Path, "self");
        long rows = Cluster.Scalar<long>(_f.Source, "SELECT sum(n_live_tup) FROM pg_stat_user_tables");
        var r = PgPhaseCli.Run(env, ["copy", "--to", folder + "/", "--name", "self"]);
        Assert.True(r.ExitCode != 0, r.StdErr + r.StdOut);
        Assert.Contains($"is its source", r.StdErr);
        Assert.Contains("copy into another database", r.StdErr);
        Assert.False(Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Any(), "nothing is written");
        Assert.Equal(rows, Cluster.Scalar<long>(_f.Source, "SELECT sum(n_live_tup) FROM pg_stat_user_tables"));
    }

    /// <summary>
    /// A target that already holds something is refused before the backup (the restore would refuse it only after
    /// the whole dump), with no hint of an option copy does not take.
    /// </summary>
    [Fact]
    public void A_copy_into_a_database_that_is_not_empty_is_refused_before_the_backup()
    {
        var target = Cluster.CreateDatabase("copyfull");
        Cluster.Execute(target, "CREATE TABLE already_here (x int)");
        var env = Environment(target);
        var folder = Path.Combine(_dir.Path, "full");
        var r = PgPhaseCli.Run(env, ["copy", "--to", folder + "/", "--name", "full"]);
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"pgphase: target database \"{target}\" is not empty (", line, StringComparison.Ordinal);
        Assert.EndsWith("nothing was backed up", line, StringComparison.Ordinal);
        Assert.DoesNotContain("--allow-non-empty", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Any(), "nothing is written");
        Assert.Equal(["r public.already_here"], Relations(target));
        Cluster.DropDatabase(target);
    }

    /// <summary>
    /// A partitioned table named alone is copied with its partitions (two levels) and their rows; a table name that
    /// matches nothing is refused, not copied as nothing.
    /// </summary>
    [Fact]
    public void A_partitioned_table_is_copied_with_its_partitions_and_a_name_that_matches_nothing_is_refused()
    {
        var source = Cluster.CreateDatabase("copypart");
        Cluster.Execute(source, """
            CREATE TABLE readings (id int, at date NOT NULL, v int) PARTITION BY RANGE (at);
            CREATE TABLE readings_2020 PARTITION OF readings FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
            CREATE TABLE readings_2021 PARTITION OF readings FOR VALUES FROM ('2021-01-01') TO ('2022-01-01') PARTITION BY LIST (v);
            CREATE TABLE readings_2021_a PARTITION OF readings_2021 FOR VALUES IN (1, 2);
            CREATE TABLE readings_2021_b PARTITION OF readings_2021 DEFAULT;
            INSERT INTO readings SELECT g, date '2020-01-01' + g % 700, g % 5 FROM generate_series(1, 3000) g;
            CREATE TABLE unrelated (x int); INSERT INTO unrelated VALUES (1);
            """);
        var target = $"copypt_{Guid.NewGuid():N}"[..20];
        var env = Environment(target);
        env["SRC_DBNAME"] = source;
        var r = PgPhaseCli.Run(env, ["copy", "--to", _dir.Path + "/", "--name", target, "--create", "--quiet", "--table", "public.readings"]);
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        Assert.Equal(3000L, Cluster.Scalar<long>(target, "SELECT count(*) FROM readings"));
        Assert.Equal(Cluster.Scalar<long>(source, "SELECT count(*) FROM readings_2021_b"), Cluster.Scalar<long>(target, "SELECT count(*) FROM readings_2021_b"));
        Assert.DoesNotContain("r public.unrelated", Relations(target));

        var none = $"copypn_{Guid.NewGuid():N}"[..20];
        env = Environment(none);
        env["SRC_DBNAME"] = source;
        var refused = PgPhaseCli.Run(env, ["copy", "--to", _dir.Path + "/", "--name", none, "--create", "--quiet", "--table", "public.readings*"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("the table selection \"public.readings*\" matches no table, view or sequence", refused.StdErr);
        Cluster.DropDatabase(target);
        Cluster.DropDatabase(none);
        Cluster.DropDatabase(source);
    }

    /// <summary>Every relation of a database outside the system schemas, as "kind schema.name".</summary>
    private List<string> Relations(string database) => Strings(database, """
        SELECT c.relkind::text || ' ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' ORDER BY 1
        """);

    private List<string> Schemas(string database) => Strings(database,
        "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1");

    private List<string> Functions(string database) => Strings(database,
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1");

    private List<string> Strings(string database, string sql)
    {
        using var conn = Cluster.Open(database);
        using var cmd = new Npgsql.NpgsqlCommand(sql, conn);
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read())
            list.Add(r.GetString(0));
        return list;
    }

    private long LargeObjects(string database) => Cluster.Scalar<long>(database, "SELECT count(*) FROM pg_largeobject_metadata");

    private static DumpArchive Toc(string backup) => ArchiveReader.ReadAsync(new ArchiveLocation(backup)).GetAwaiter().GetResult();

    private static List<string> DataEntries(string backup) =>
        Toc(backup).Entries.Where(e => e.Type == "TABLE DATA").Select(e => e.QualifiedName).Order().ToList();

    private static bool HoldsLargeObjects(string backup) => Toc(backup).Entries.Any(e => e.Type.StartsWith("BLOB", StringComparison.Ordinal));

    private SortedDictionary<string, string> Contents(string database, params string[] keys)
    {
        var all = DatabaseContents.Fingerprint(Cluster, database);
        return new(keys.ToDictionary(k => k, k => all.GetValueOrDefault(k, "absent")), StringComparer.Ordinal);
    }

    [Fact]
    public void A_table_in_its_own_schema_is_copied_with_the_schema_its_rows_index_and_sequence_and_nothing_else()
    {
        var (target, backup) = Copy("-t", "shop.products");

        Assert.Equal(["public", "shop"], Schemas(target));
        Assert.Equal("the shop", Cluster.Scalar<string>(target, "SELECT obj_description('shop'::regnamespace, 'pg_namespace')"));
        Assert.Equal(["S shop.products_id_seq", "i shop.products_name", "i shop.products_pkey", "r shop.products"], Relations(target));
        Assert.Empty(Functions(target));
        Assert.Equal(0, LargeObjects(target));
        string[] copied = ["r shop.products", "S shop.products_id_seq"];
        Assert.Equal(Contents(_f.Source, copied), Contents(target, copied));
        // The serial column still draws from its sequence, which went on where the source's stands.
        Assert.Equal(2001, Cluster.Scalar<int>(target, "INSERT INTO shop.products (name) VALUES ('new') RETURNING id"));

        // The dump holds every definition but only the rows that are copied, and no large object.
        Assert.Equal(["shop.products"], DataEntries(backup));
        Assert.False(HoldsLargeObjects(backup));
        Assert.Contains(Toc(backup).Entries, e => e.Type == "TABLE" && e.QualifiedName == "extra.things");
    }

    [Fact]
    public void A_schema_less_one_table_is_copied_whole_and_nothing_outside_it()
    {
        var (target, backup) = Copy("-n", "shop", "-T", "shop.orders");

        Assert.Equal(["public", "shop"], Schemas(target));
        Assert.Equal(["S shop.products_id_seq", "i shop.products_name", "i shop.products_pkey", "r shop.products", "v shop.cheap"], Relations(target));
        Assert.Equal(["shop.price_of(integer)"], Functions(target));
        Assert.Equal(0, LargeObjects(target));
        string[] copied = ["r shop.products", "S shop.products_id_seq"];
        Assert.Equal(Contents(_f.Source, copied), Contents(target, copied));
        Assert.Equal(["shop.products"], DataEntries(backup));
        Assert.False(HoldsLargeObjects(backup));
    }

    [Fact]
    public void Leaving_out_a_schema_copies_everything_else_with_its_large_objects()
    {
        var (target, backup) = Copy("-N", "shop");

        Assert.Equal(["extra", "public"], Schemas(target));
        Assert.Equal(["i extra.things_pkey", "r extra.things", "r public.other"], Relations(target));
        Assert.Equal(1, LargeObjects(target));
        string[] copied = ["r extra.things", "r public.other"];
        Assert.Equal(Contents(_f.Source, copied), Contents(target, copied));
        Assert.Equal(["extra.things", "public.other"], DataEntries(backup));
        Assert.True(HoldsLargeObjects(backup));
    }

    public void Dispose() => _dir.Dispose();
}
