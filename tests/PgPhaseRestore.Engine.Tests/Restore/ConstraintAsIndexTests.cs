using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// A late primary key or unique constraint in pg_dump's plain form is built as its unique index, then made the
/// constraint: the target's catalog is the one pg_restore leaves. Any other form is restored as pg_dump wrote it.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class ConstraintAsIndexTests : IDisposable
{
    private readonly PostgresCluster _cluster;
    private readonly TempDir _dir = new("pgphase-asindex-");
    private readonly string _source;
    private readonly string _dump;
    private readonly List<string> _databases = [];

    // Far longer than any restore here takes: one that waits for ever fails instead of hanging the run.
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    /// <summary>Per constraint entry (its tag), whether it is built as its index.</summary>
    private static readonly Dictionary<string, bool> AsIndex = new()
    {
        ["Mixed Case Mixed PK"] = true,
        ["Mixed Case u_nnd"] = true,
        ["child child_pkey"] = true,
        ["parent parent_pkey"] = true,
        ["plain plain_b_key"] = true,
        ["clustered clustered_pkey"] = true,
        // DEFERRABLE, CLUSTER ON and REPLICA IDENTITY in the entry, an exclusion constraint: as pg_dump wrote them.
        ["Mixed Case u_def"] = false,
        ["plain plain_pkey"] = false,
        ["plain plain_a_key"] = false,
        ["plain plain_span_excl"] = false,
    };

    // Each constraint and its index as the catalog records them, by name.
    private const string Catalog = """
        SELECT string_agg(concat_ws('|', c.conrelid::regclass, c.conname, c.contype, c.condeferrable, c.condeferred, c.conislocal, c.coninhcount,
                  c.connoinherit, c.conkey, i.indisprimary, i.indisunique, i.indnullsnotdistinct, i.indimmediate, i.indisclustered, i.indisreplident,
                  i.indisvalid, i.indkey, i.indnkeyatts, x.relname, x.reloptions, pg_get_indexdef(i.indexrelid),
                  (SELECT string_agg(d.refclassid::regclass::text || ':' || d.deptype::text, ',' ORDER BY d.refclassid::regclass::text, d.deptype)
                   FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid),
                  (SELECT string_agg(a.attname || ':' || a.attnotnull, ',' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.conrelid AND a.attnum > 0)),
               E'\n' ORDER BY c.conrelid::regclass::text, c.conname)
        FROM pg_constraint c JOIN pg_index i ON i.indexrelid = c.conindid JOIN pg_class x ON x.oid = i.indexrelid
        WHERE c.connamespace <> 'pg_catalog'::regnamespace
        """;

    public ConstraintAsIndexTests(Services services)
    {
        _cluster = services.Postgres;
        _source = Database("asidx_src");
        _cluster.Execute(_source, """
            CREATE SCHEMA "Odd Schema";
            CREATE TABLE "Odd Schema"."Mixed Case" ("Id" int NOT NULL, "select" text, v int, w int);
            ALTER TABLE "Odd Schema"."Mixed Case" ADD CONSTRAINT "Mixed PK" PRIMARY KEY ("Id") INCLUDE (v) WITH (fillfactor = 70, deduplicate_items = off);
            ALTER TABLE "Odd Schema"."Mixed Case" ADD CONSTRAINT u_nnd UNIQUE NULLS NOT DISTINCT ("select", w);
            ALTER TABLE "Odd Schema"."Mixed Case" ADD CONSTRAINT u_def UNIQUE (w) DEFERRABLE INITIALLY DEFERRED;
            CREATE TABLE plain (id bigint PRIMARY KEY, a int NOT NULL UNIQUE, b int UNIQUE, span int4range, EXCLUDE USING gist (span WITH &&));
            ALTER TABLE plain REPLICA IDENTITY USING INDEX plain_a_key;
            -- The index's entry also sets CLUSTER ON: a lock stronger than its build's, beside a key built as its index.
            CREATE TABLE clustered (id bigint PRIMARY KEY, v int NOT NULL);
            CREATE INDEX clustered_v ON clustered (v);
            CLUSTER clustered USING clustered_v;
            INSERT INTO clustered SELECT g, g % 1000 FROM generate_series(1, 20000) g;
            CREATE TABLE parent (id int PRIMARY KEY);
            CREATE TABLE child (x int) INHERITS (parent);
            ALTER TABLE child ADD PRIMARY KEY (id);
            INSERT INTO "Odd Schema"."Mixed Case" SELECT g, 's' || (g % 100), g, g FROM generate_series(1, 20000) g;
            INSERT INTO "Odd Schema"."Mixed Case" VALUES (0, NULL, 0, NULL);
            INSERT INTO plain SELECT g, g, -g, int4range(g * 10, g * 10 + 5) FROM generate_series(1, 20000) g;
            INSERT INTO parent SELECT g FROM generate_series(1, 5000) g;
            INSERT INTO child SELECT g, g FROM generate_series(5001, 20000) g;
            CLUSTER plain USING plain_pkey;
            """);
        _dump = _dir.File("forms.dump");
        PgDump.Dump(_cluster, _source, _dump, "-Fc");
    }

    private string Database(string prefix)
    {
        var name = _cluster.CreateDatabase(prefix);
        _databases.Add(name);
        return name;
    }

    [Fact]
    public async Task Only_the_plain_form_is_taken_and_written_as_its_index()
    {
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(_dump));
        var found = archive.Entries.Where(e => e.Type == "CONSTRAINT").ToDictionary(e => e.Name!, e => ConstraintAsIndex.Of(e, archive));
        Assert.Equal(AsIndex.Keys.Order(), found.Keys.Order());
        foreach (var (tag, asIndex) in AsIndex)
            Assert.True(asIndex == found[tag] is not null, $"{tag}: {(found[tag] is null ? "not taken" : "taken")}, expected {(asIndex ? "taken" : "not")}");
        var key = found["Mixed Case Mixed PK"]!;
        Assert.Equal("""CREATE UNIQUE INDEX "Mixed PK" ON "Odd Schema"."Mixed Case" USING btree ("Id") INCLUDE (v) WITH (fillfactor='70', deduplicate_items=off)""", key.CreateIndex);
        Assert.Equal("""ALTER TABLE ONLY "Odd Schema"."Mixed Case" ADD CONSTRAINT "Mixed PK" PRIMARY KEY USING INDEX "Mixed PK" """.TrimEnd(), key.AddConstraint);
        Assert.Equal("""CREATE UNIQUE INDEX u_nnd ON "Odd Schema"."Mixed Case" USING btree ("select", w) NULLS NOT DISTINCT""", found["Mixed Case u_nnd"]!.CreateIndex);
    }

    /// <summary>
    /// Restored by Auto with every index late, the constraints taken are built as their indexes and the others as
    /// written, and the catalog (each constraint, its index, their dependencies, the columns' NOT NULL) is what
    /// pg_restore leaves from the same archive.
    /// </summary>
    [Fact]
    public async Task A_restore_leaves_the_catalog_pg_restore_leaves()
    {
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(_dump));
        var plan = await ArchivePlanning.PlanAsync(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = 1L << 30 }, new S3Settings(), default);
        var late = plan.IndexDecisions.Where(d => d.Late && d.Entry.Type == "CONSTRAINT").Select(d => d.Entry.Name!).ToHashSet();
        Assert.Superset(AsIndex.Where(a => a.Value).Select(a => a.Key).ToHashSet(), late);

        var target = Database("asidx_tgt");
        var log = new List<string>();
        var results = await new PhaseRestorer(new RestoreOptions
        {
            Target = _cluster.ConnectionTo(target), NoOwner = true, NoPrivileges = true, Jobs = 2, JournalPath = _dir.File("journal.json"),
        }, null, m => { lock (log) log.Add(m); }).RunAsync(plan.Phases, default).WaitAsync(Limit);
        foreach (var r in results)
            Assert.True(r.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped, $"{r}: {string.Join("; ", r.Errors)}");
        foreach (var entry in archive.Entries.Where(e => e.Type == "CONSTRAINT" && late.Contains(e.Name!)))
            Assert.True(AsIndex[entry.Name!] == log.Any(l => l.StartsWith($"building CONSTRAINT {entry.QualifiedName} after its table's data, with ", StringComparison.Ordinal) && l.EndsWith(", as its unique index", StringComparison.Ordinal)),
                $"{entry.Name}: {string.Join("\n", log.Where(l => l.Contains(entry.QualifiedName, StringComparison.Ordinal)))}");

        // Each index built for a constraint reads back, from the server, as the statement that built it: what a later
        // run compares to keep an index built before it stopped.
        using (var conn = _cluster.Open(target))
        {
            using (var path = new Npgsql.NpgsqlCommand("SET search_path = ''", conn))
                path.ExecuteNonQuery();
            foreach (var asIndex in archive.Entries.Select(e => ConstraintAsIndex.Of(e, archive)).OfType<ConstraintAsIndex>())
            {
                var name = System.Text.RegularExpressions.Regex.Match(asIndex.CreateIndex, @"^CREATE UNIQUE INDEX (.+) ON ((?:""[^""]+""|[a-z_]+))\.").Groups;
                using var def = new Npgsql.NpgsqlCommand($"SELECT pg_catalog.pg_get_indexdef(pg_catalog.to_regclass($1))", conn) { Parameters = { new() { Value = name[2].Value + "." + name[1].Value } } };
                Assert.Equal(asIndex.CreateIndex, def.ExecuteScalar() as string);
            }
        }
        AssertAsPgRestoreLeaves(_dump, _source, target);
    }

    /// <summary>
    /// Stopped while a primary key, its index built, waits for its table's other build, the restore leaves the index
    /// alone, without its constraint; a resume keeps the index and adds the constraint: the target equals the source.
    /// The archive quotes every name and storage parameter (pg_dump --quote-all-identifiers), which the server does not
    /// when it prints the index back.
    /// </summary>
    [Fact]
    public async Task Stopped_while_its_constraint_waits_a_resume_keeps_the_index_and_adds_the_constraint()
    {
        var gated = await GatedAsync("--quote-all-identifiers");
        var target = Database("asidx_stop");
        using (var holder = gated.Hold(target))
        {
            using var stop = new CancellationTokenSource();
            var log = new List<string>();
            var run = new PhaseRestorer(gated.Options(target, resume: false), null, m => { lock (log) log.Add(m); }).RunAsync(gated.Plan.Phases, stop.Token);
            await WaitForAsync(log, "sorted public.gate gate_pkey in ", run);
            stop.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Limit));
        }
        Assert.Equal("gate_pkey", _cluster.Scalar<string>(target, "SELECT string_agg(relname, ', ' ORDER BY relname) FROM pg_class WHERE relname IN ('gate_pkey', 'gate_v')"));
        Assert.Equal(0, _cluster.Scalar<long>(target, "SELECT count(*) FROM pg_constraint WHERE conname = 'gate_pkey'"));

        await gated.ResumeAsync(target);
    }

    /// <summary>
    /// The table's other build fails while the primary key waits: the restore stops with that build's error, never
    /// waiting for ever, and adds no constraint; once the cause is gone, a resume keeps the index and completes it.
    /// </summary>
    [Fact]
    public async Task A_build_failing_while_a_constraint_waits_stops_the_restore_and_a_resume_completes_it()
    {
        var gated = await GatedAsync();
        var target = Database("asidx_fail");
        var log = new List<string>();
        IReadOnlyList<PhaseResult> results;
        using (var holder = gated.Hold(target))
        {
            var run = new PhaseRestorer(gated.Options(target, resume: false), null, m => { lock (log) log.Add(m); }).RunAsync(gated.Plan.Phases, default);
            await WaitForAsync(log, "sorted public.gate gate_pkey in ", run);
            using (var close = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(4243), pg_advisory_unlock(4242)", holder))
                close.ExecuteNonQuery();
            results = await run.WaitAsync(Limit);
        }
        var data = results.Single(r => r.Phase == 3);
        Assert.Equal(PhaseStatus.Failed, data.Status);
        Assert.Contains(data.Errors, e => e.Message.Contains("(INDEX public.gate_v)", StringComparison.Ordinal) && e.Message.Contains("the gate is closed", StringComparison.Ordinal));
        Assert.Equal(0, _cluster.Scalar<long>(target, "SELECT count(*) FROM pg_constraint WHERE conname = 'gate_pkey'"));

        await gated.ResumeAsync(target);
    }

    /// <summary>
    /// Two constraints of one table sort side by side: while the table's other build waits, both are sorted (neither
    /// waits for the other to be added first), and once it ends both become constraints; the catalog is the one
    /// pg_restore leaves.
    /// </summary>
    [Fact]
    public async Task Two_constraints_of_a_table_sort_side_by_side_and_both_become_constraints()
    {
        var gated = await GatedAsync(secondKey: true);
        var target = Database("asidx_two");
        var log = new List<string>();
        Task<IReadOnlyList<PhaseResult>> run;
        using (var holder = gated.Hold(target))
        {
            run = new PhaseRestorer(gated.Options(target, resume: false), null, m => { lock (log) log.Add(m); }).RunAsync(gated.Plan.Phases, default);
            await WaitForAsync(log, "sorted public.gate gate_pkey in ", run);
            await WaitForAsync(log, "sorted public.gate gate_code_key in ", run);
            Assert.Equal(0, _cluster.Scalar<long>(target, "SELECT count(*) FROM pg_constraint WHERE conname IN ('gate_pkey', 'gate_code_key')"));
        }
        foreach (var r in await run.WaitAsync(Limit))
            Assert.True(r.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped, $"{r}: {string.Join("; ", r.Errors)}");
        AssertAsPgRestoreLeaves(gated.Dump, gated.Source, target);
    }

    private static async Task WaitForAsync(List<string> log, string prefix, Task run)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            lock (log)
                if (log.Any(l => l.StartsWith(prefix, StringComparison.Ordinal)))
                    return;
            Assert.False(run.IsCompleted, $"the restore ended before \"{prefix}\":\n{string.Join("\n", log)}");
            Assert.True(DateTime.UtcNow < deadline, $"no \"{prefix}\" in 2 minutes:\n{string.Join("\n", log)}");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// A table whose primary key and one other index are built late; the other one's expression waits, at each row, for
    /// advisory lock 4242 while the test holds it in the target, then fails while the test holds 4243 (advisory locks,
    /// unlike a table's rows, are seen at once by a statement that already runs).
    /// </summary>
    private Task<Gated> GatedAsync(params string[] dumpOptions) => GatedAsync(false, dumpOptions);

    /// <param name="secondKey">The table also has a unique constraint in plain form, gate_code_key.</param>
    /// <param name="dumpOptions">pg_dump's options beside -Fc.</param>
    private async Task<Gated> GatedAsync(bool secondKey, params string[] dumpOptions)
    {
        var source = Database("asidx_gsrc");
        _cluster.Execute(source, """
            CREATE FUNCTION public.gated(integer) RETURNS integer IMMUTABLE LANGUAGE plpgsql AS $$
              BEGIN
                PERFORM pg_advisory_lock_shared(4242);
                PERFORM pg_advisory_unlock_shared(4242);
                IF NOT pg_try_advisory_lock_shared(4243) THEN RAISE EXCEPTION 'the gate is closed'; END IF;
                PERFORM pg_advisory_unlock_shared(4243);
                RETURN $1;
              END $$;
            CREATE TABLE public.gate (id bigint NOT NULL, v integer NOT NULL,
                                      CONSTRAINT gate_pkey PRIMARY KEY (id) WITH (fillfactor = 90, deduplicate_items = off));
            INSERT INTO public.gate SELECT g, g % 100 FROM generate_series(1, 20000) g;
            CREATE INDEX gate_v ON public.gate (public.gated(v));
            """);
        if (secondKey)
            _cluster.Execute(source, "ALTER TABLE public.gate ADD COLUMN code text; UPDATE public.gate SET code = md5(id::text); ALTER TABLE public.gate ADD CONSTRAINT gate_code_key UNIQUE (code)");
        var dump = _dir.File($"{source}.dump");
        PgDump.Dump(_cluster, source, dump, ["-Fc", .. dumpOptions]);
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(dump));
        var plan = await ArchivePlanning.PlanAsync(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = 1L << 30 }, new S3Settings(), default);
        Assert.Equal(secondKey ? ["gate gate_code_key", "gate gate_pkey", "gate_v"] : ["gate gate_pkey", "gate_v"],
            plan.IndexDecisions.Where(d => d.Late).Select(d => d.Entry.Name!).Order(StringComparer.Ordinal));
        Assert.All(plan.IndexDecisions.Where(d => d.Entry.Type == "CONSTRAINT"), d => Assert.NotNull(ConstraintAsIndex.Of(d.Entry, archive)));
        return new Gated(this, source, dump, plan);
    }

    private sealed record Gated(ConstraintAsIndexTests Test, string Source, string Dump, RestorePlan Plan)
    {
        public RestoreOptions Options(string target, bool resume) => new()
        {
            Target = Test._cluster.ConnectionTo(target), NoOwner = true, NoPrivileges = true, Jobs = 2, JournalPath = Test._dir.File(target + ".json"), Resume = resume,
        };

        /// <summary>Holds the lock the other build's rows wait for, until disposed.</summary>
        public Npgsql.NpgsqlConnection Hold(string target)
        {
            var holder = Test._cluster.Open(target);
            using var take = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(4242)", holder);
            take.ExecuteNonQuery();
            return holder;
        }

        /// <summary>Resumes the restore: the index the first run built is kept, and the target is what pg_restore leaves.</summary>
        public async Task ResumeAsync(string target)
        {
            var log = new List<string>();
            var results = await new PhaseRestorer(Options(target, resume: true), null, m => { lock (log) log.Add(m); }).RunAsync(Plan.Phases, default).WaitAsync(Limit);
            foreach (var r in results)
                Assert.True(r.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped, $"{r}: {string.Join("; ", r.Errors)}");
            Assert.Contains(log, l => l == "public.gate gate_pkey: its unique index was built by an earlier run, and is kept");
            Test.AssertAsPgRestoreLeaves(Dump, Source, target);
        }
    }

    /// <summary>The target's constraints and indexes are those pg_restore leaves from the dump; its schema and rows the source's.</summary>
    private void AssertAsPgRestoreLeaves(string dump, string source, string target)
    {
        var reference = Database("asidx_ref");
        ChildProcess.RunChecked(_cluster.ClientTool("pg_restore"), ["--no-owner", "--no-privileges", "-d", reference, dump], TimeSpan.FromMinutes(5), _cluster.ClientEnvironment());
        Assert.Equal(_cluster.Scalar<string>(reference, Catalog), _cluster.Scalar<string>(target, Catalog));
        Assert.Equal(PgDump.ComparableSchema(_cluster, source), PgDump.ComparableSchema(_cluster, target));
        Assert.Equal(DatabaseContents.Fingerprint(_cluster, source), DatabaseContents.Fingerprint(_cluster, target));
    }

    public void Dispose()
    {
        foreach (var database in _databases)
            _cluster.DropDatabase(database);
        _dir.Dispose();
    }
}
