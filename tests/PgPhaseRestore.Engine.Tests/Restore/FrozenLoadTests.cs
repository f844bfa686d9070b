using System.Text;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Processes;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Restore.DataLoad;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// A table loaded by one session is written frozen only when emptying it first loses nothing; otherwise its rows are
/// appended by a plain COPY, as pg_restore appends them. Each case loads real rows through the real session.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class FrozenLoadTests : IDisposable
{
    private const int Rows = 5000;
    private readonly PostgresCluster _pg;
    private readonly string _db;

    public FrozenLoadTests(Services services)
    {
        _pg = services.Postgres;
        _db = _pg.CreateDatabase("frozen");
        _pg.Execute(_db, "CREATE EXTENSION pg_visibility; CREATE SCHEMA \"we ird\"");
    }

    public void Dispose() => _pg.DropDatabase(_db);

    [Theory]
    [InlineData("COPY public.t (a, b) FROM stdin;", "public.t")]
    [InlineData("COPY \"we ird\".\"ta\"\"b le\" (a) FROM stdin;", "\"we ird\".\"ta\"\"b le\"")]
    [InlineData("COPY public.t  FROM stdin;", "public.t")]
    public void The_target_of_a_copy_is_read_whole_through_quoted_names(string copy, string target) =>
        Assert.Equal(target, FrozenLoad.TargetOf(copy));

    [Fact]
    public async Task An_empty_plain_table_is_loaded_frozen_and_all_visible()
    {
        _pg.Execute(_db, "CREATE TABLE \"we ird\".\"ta\"\"b le\" (a integer, b text)");
        var debug = await LoadAsync("we ird", "ta\"b le");
        Assert.Contains(debug, l => l.Contains("emptied and loaded frozen", StringComparison.Ordinal));
        Assert.Equal(Rows, _pg.Scalar<long>(_db, "SELECT count(*) FROM \"we ird\".\"ta\"\"b le\""));
        var (pages, frozen) = Visibility("\"we ird\".\"ta\"\"b le\"");
        Assert.True(pages > 1 && frozen == pages, $"{frozen} of {pages} pages all-frozen");
    }

    [Fact]
    public async Task A_table_with_rows_keeps_them_and_gets_the_new_rows_appended_unfrozen()
    {
        _pg.Execute(_db, "CREATE TABLE public.t (a integer, b text); INSERT INTO public.t VALUES (-1, 'there before')");
        var debug = await LoadAsync("public", "t");
        Assert.Contains(debug, l => l.Contains("not frozen: it already has rows", StringComparison.Ordinal));
        Assert.Equal(Rows + 1, _pg.Scalar<long>(_db, "SELECT count(*) FROM public.t"));
        Assert.Equal("there before", _pg.Scalar<string>(_db, "SELECT b FROM public.t WHERE a = -1"));
        Assert.Equal(0, Visibility("public.t").Frozen);
    }

    [Theory]
    [InlineData("CREATE TABLE public.r (t_a integer REFERENCES public.t (a))", "a foreign key refers to it")]
    [InlineData("CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'; " +
                "CREATE TRIGGER on_truncate BEFORE TRUNCATE ON public.t EXECUTE FUNCTION public.f()", "it has a TRUNCATE trigger")]
    [InlineData("CREATE PUBLICATION p FOR TABLE public.t", "the database has publications")]
    [InlineData("CREATE ROLE frozen_inserter_{0}; GRANT USAGE ON SCHEMA public TO frozen_inserter_{0}; " +
                "GRANT INSERT ON public.t TO frozen_inserter_{0}", "this role may not truncate it")]
    public async Task A_table_that_a_truncate_would_touch_beyond_its_rows_is_loaded_with_a_plain_copy(string setUp, string reason)
    {
        string role = _db.Replace("-", "_", StringComparison.Ordinal);
        _pg.Execute(_db, "CREATE TABLE public.t (a integer PRIMARY KEY, b text); " + string.Format(System.Globalization.CultureInfo.InvariantCulture, setUp, role));
        try
        {
            var debug = await LoadAsync("public", "t", setUp.Contains("ROLE", StringComparison.Ordinal) ? $"frozen_inserter_{role}" : null);
            Assert.Contains(debug, l => l.EndsWith("not frozen: " + reason, StringComparison.Ordinal));
            Assert.Equal(Rows, _pg.Scalar<long>(_db, "SELECT count(*) FROM public.t"));
            Assert.Equal(0, Visibility("public.t").Frozen);
        }
        finally
        {
            if (setUp.Contains("ROLE", StringComparison.Ordinal))
                _pg.Execute(_db, $"DROP OWNED BY frozen_inserter_{role}; DROP ROLE frozen_inserter_{role}");
        }
    }

    [Fact]
    public async Task Rows_loaded_through_a_partitioned_root_go_to_their_partitions_with_a_plain_copy()
    {
        _pg.Execute(_db, "CREATE TABLE public.t (a integer, b text) PARTITION BY RANGE (a); " +
                         "CREATE TABLE public.t_low PARTITION OF public.t FOR VALUES FROM (MINVALUE) TO (2500); " +
                         "CREATE TABLE public.t_high PARTITION OF public.t FOR VALUES FROM (2500) TO (MAXVALUE)");
        var debug = await LoadAsync("public", "t");
        Assert.Contains(debug, l => l.EndsWith("not frozen: it is not a plain table", StringComparison.Ordinal));
        Assert.Equal(2500, _pg.Scalar<long>(_db, "SELECT count(*) FROM public.t_low"));
        Assert.Equal(2500, _pg.Scalar<long>(_db, "SELECT count(*) FROM public.t_high"));
    }

    [Fact]
    public async Task A_failed_load_leaves_the_table_as_it_was()
    {
        _pg.Execute(_db, "CREATE TABLE public.t (a integer, b text CHECK (b <> 'row 4000'))");
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => LoadAsync("public", "t"));
        Assert.Contains("check constraint", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, _pg.Scalar<long>(_db, "SELECT count(*) FROM public.t"));
        // The TRUNCATE was rolled back with the COPY: the table is the one created above, and loads again.
        _pg.Execute(_db, "ALTER TABLE public.t DROP CONSTRAINT t_b_check");
        var debug = await LoadAsync("public", "t");
        Assert.Contains(debug, l => l.Contains("emptied and loaded frozen", StringComparison.Ordinal));
        Assert.Equal(Rows, _pg.Scalar<long>(_db, "SELECT count(*) FROM public.t"));
    }

    /// <summary>Loads <see cref="Rows"/> rows of (a, b) into the table through one session; returns the debug lines.</summary>
    private async Task<List<string>> LoadAsync(string schema, string table, string? role = null)
    {
        var rows = new StringBuilder();
        for (int i = 0; i < Rows; i++)
            rows.Append(i).Append("\trow ").Append(i).Append('\n');
        rows.Append("\\.\n");
        var entry = TableDataEntry.For(schema, table, "(a, b)");
        var options = new RestoreOptions
        {
            Target = _pg.ConnectionTo(_db),
            Role = role,
        };
        var debug = new List<string>();
        var loader = new SplitTableLoader(options, new PgTool("pg_restore", _pg.ClientTool("pg_restore"), 0, "pg_restore"), l => { lock (debug) debug.Add(l); });
        long loaded = await loader.LoadRowsAsync(entry, () => new MemoryStream(Encoding.UTF8.GetBytes(rows.ToString())), "rows", 1, null, default);
        Assert.Equal(Rows, loaded);
        return debug;
    }

    private (long Pages, long Frozen) Visibility(string table) =>
        (_pg.Scalar<long>(_db, $"SELECT pg_relation_size('{table}') / current_setting('block_size')::bigint"),
         _pg.Scalar<long>(_db, $"SELECT all_frozen FROM pg_visibility_map_summary('{table}')"));
}
