using System.Text;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Cli;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// A local tar archive loaded side by side (each table copied from its own member) when the archive, the target or
/// another run gets in the way: a damaged or cut member, a session ended under a load, data not in UTF-8, two runs
/// at once, rows whose COPY text is hard to cut. Each ends with a target identical to the source, or with a failure
/// that names the table or the member; never with a silent success.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class TarSideBySideFaultTests : IClassFixture<RestoreFixture>, IDisposable
{
    private readonly RestoreFixture _f;
    private readonly TempDir _dir = new("pgphase-tarfault-");

    public TarSideBySideFaultTests(RestoreFixture fixture) => _f = fixture;

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// The kitchen sink, plus a table of a few MiB (several chunks for the sessions of a split load) and a table of
    /// COPY text that is hard to cut: escaped tabs, newlines, backslashes, NULLs, a generated column, a dropped
    /// column, rows bigger than a chunk, all under quoted names.
    /// </summary>
    private string CreateSource(string prefix)
    {
        var db = SampleDatabases.CreateKitchenSink(_f.Cluster, prefix);
        _f.Cluster.Execute(db, """
            CREATE TABLE app.wide (id int PRIMARY KEY, label text NOT NULL, amount numeric NOT NULL);
            INSERT INTO app.wide SELECT g, 'label ' || md5(g::text) || repeat('x', g % 40), g * 1.25 FROM generate_series(1, 40000) g;
            CREATE SCHEMA "Quoted ""Schema"" x";
            CREATE TABLE "Quoted ""Schema"" x"."Table ""with"" quotes and spaces" (
              id int PRIMARY KEY,
              "col with	tab" text,
              gone int,
              b bytea,
              doubled int GENERATED ALWAYS AS (id * 2) STORED
            );
            ALTER TABLE "Quoted ""Schema"" x"."Table ""with"" quotes and spaces" DROP COLUMN gone;
            INSERT INTO "Quoted ""Schema"" x"."Table ""with"" quotes and spaces" (id, "col with	tab", b) VALUES
              (1, E'tab\there', NULL),
              (2, E'new\nline\r\nand crlf', '\x00ff'::bytea),
              (3, E'back\\slash \\. and \\N', ''::bytea),
              (4, '\N', NULL),
              (5, NULL, decode(repeat('5c2e0a09', 400000), 'hex')),
              (6, E'\\.', decode(repeat('00', 3000000), 'hex')),
              (7, E'ü € 😀 \u00a0', NULL),
              (8, '', NULL);
            INSERT INTO "Quoted ""Schema"" x"."Table ""with"" quotes and spaces" (id, "col with	tab")
              SELECT g, E'row\t' || g || E'\n\\' FROM generate_series(9, 3000) g;
            """);
        return db;
    }

    private async Task<IReadOnlyList<PhaseResult>> RestoreAsync(string archivePath, string target, int jobs = 4, long splitTableSize = RestoreOptions.DefaultSplitTableSize,
        bool resume = false, Action<string>? log = null, CancellationToken ct = default, IProgress<RestoreProgress>? progress = null)
    {
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(archivePath));
        var plan = PhasePlanner.Plan(archive, new PlanOptions { Strategy = RestoreStrategy.PreCreate });
        var baseOptions = _f.Options(target);
        var options = new RestoreOptions
        {
            Target = baseOptions.Target, CreateDatabase = true, NoOwner = true, NoPrivileges = true, JournalPath = baseOptions.JournalPath,
            Resume = resume, Jobs = jobs, SplitTableSize = splitTableSize,
            SessionSettings = new Dictionary<string, string> { ["synchronous_commit"] = "off" },
        };
        return await new PhaseRestorer(options, progress, log).RunAsync(plan.Phases, ct);
    }

    private static void AssertSucceeded(IReadOnlyList<PhaseResult> results)
    {
        Assert.Equal([1, 2, 3, 4], results.Select(r => r.Phase));
        foreach (var r in results)
            Assert.True(r.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped, $"{r}: {string.Join("; ", r.Errors)}");
    }

    private void AssertSameAs(string source, string target)
    {
        Assert.Equal(_f.Schema(source), _f.Schema(target));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, source), DatabaseContents.Fingerprint(_f.Cluster, target));
    }

    private RestoreJournal Journal(string target) => RestoreJournal.Load(_f.Options(target).JournalPath!);

    /// <summary>Where a member's bytes lie in a tar file, read from its headers as any tar reader would.</summary>
    private static (long Offset, long Size) Member(string tar, string name)
    {
        using var file = File.OpenRead(tar);
        var header = new byte[512];
        long at = 0;
        while (at + 512 <= file.Length)
        {
            file.Position = at;
            file.ReadExactly(header);
            var memberName = Encoding.ASCII.GetString(header, 0, 100).TrimEnd('\0');
            if (memberName.Length == 0)
                break;
            long size = Convert.ToInt64(Encoding.ASCII.GetString(header, 124, 12).Trim('\0', ' '), 8);
            if (memberName == name)
                return (at + 512, size);
            at += 512 + (size + 511) / 512 * 512;
        }
        throw new InvalidOperationException($"{tar} has no member {name}");
    }

    private static async Task<TocEntry> TableDataAsync(string tar, string qualifiedName) =>
        (await ArchiveReader.ReadAsync(new ArchiveLocation(tar))).Entries.Single(e => e.Type == "TABLE DATA" && e.QualifiedName == qualifiedName);

    [Theory]
    [InlineData(RestoreOptions.DefaultSplitTableSize)]
    [InlineData(1L)]
    public async Task A_row_damaged_in_place_fails_its_table_by_name_and_a_resume_from_the_good_archive_gives_an_identical_target(long splitTableSize)
    {
        var source = CreateSource("tdmg");
        var good = _dir.File($"good-{splitTableSize}.tar");
        PgDump.Dump(_f.Cluster, source, good, "-Ft");
        var damaged = _dir.File($"damaged-{splitTableSize}.tar");
        File.Copy(good, damaged);
        // The last row of app.wide loses its first column separator: the same size, the same tar headers, a row COPY rejects.
        var wide = await TableDataAsync(good, "app.wide");
        var (offset, size) = Member(good, wide.DataFile!);
        var rows = File.ReadAllBytes(good).AsSpan((int)offset, (int)size).ToArray();
        int endOfRows = rows.AsSpan().LastIndexOf("\n\\.\n"u8);
        int lastRow = Array.LastIndexOf(rows, (byte)'\n', endOfRows - 1) + 1;
        Assert.StartsWith("40000\t", Encoding.UTF8.GetString(rows, lastRow, 10));
        using (var file = new FileStream(damaged, FileMode.Open, FileAccess.Write))
        {
            file.Position = offset + lastRow + "40000".Length;
            file.WriteByte((byte)'0');
        }
        Assert.Equal(new FileInfo(good).Length, new FileInfo(damaged).Length);

        var target = _f.NewTargetName("tdmg");
        var results = await RestoreAsync(damaged, target, jobs: 4, splitTableSize: splitTableSize);

        var data = results.Single(r => r.Phase == 3);
        Assert.Equal(PhaseStatus.Failed, data.Status);
        var error = Assert.Single(data.Errors, e => e.Entry == "TABLE DATA app.wide");
        Assert.Equal(wide.DumpId, error.DumpId);
        Assert.Contains("40000", error.Message);
        Assert.DoesNotContain(results, r => r.Phase == 4 && r.Status == PhaseStatus.Succeeded);
        Assert.False(Journal(target).IsTableDone(wide.DumpId), "the journal marks the failed table done");
        if (splitTableSize == RestoreOptions.DefaultSplitTableSize)
            Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.wide")); // one COPY: none of its rows committed
        // Tables the journal records hold every row of the source.
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(good));
        foreach (var done in archive.Entries.Where(e => e.Type == "TABLE DATA" && Journal(target).IsTableDone(e.DumpId)))
        {
            var count = $"SELECT count(*) FROM ONLY {SqlIdent(done.Schema!)}.{SqlIdent(done.Name!)}";
            Assert.Equal(_f.Cluster.Scalar<long>(source, count), _f.Cluster.Scalar<long>(target, count));
        }

        File.Copy(good, damaged, overwrite: true);
        var resumed = await RestoreAsync(damaged, target, jobs: 4, splitTableSize: splitTableSize, resume: true);
        AssertSucceeded(resumed);
        AssertSameAs(source, target);
    }

    private static string SqlIdent(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    [Fact]
    public async Task A_tar_archive_cut_inside_a_member_fails_naming_the_member_and_offset_in_the_engine_and_in_pgphase()
    {
        var source = CreateSource("tcut");
        var tar = _dir.File("cut.tar");
        PgDump.Dump(_f.Cluster, source, tar, "-Ft");
        var wide = await TableDataAsync(tar, "app.wide");
        var (offset, size) = Member(tar, wide.DataFile!);
        using (var file = new FileStream(tar, FileMode.Open, FileAccess.Write))
            file.SetLength(offset + size / 2);

        var target = _f.NewTargetName("tcut");
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(tar, target, jobs: 4));
        Assert.Contains($"member {wide.DataFile}", ex.Message);
        Assert.Contains($"from offset {offset}", ex.Message);
        Assert.Contains($"the file ends at {offset + size / 2}", ex.Message);
        // Refused before anything was created: no target database, not a schema waiting for rows that cannot come.
        Assert.Equal(0L, _f.Cluster.Scalar<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'"));

        var cliTarget = _f.NewTargetName("tcutcli");
        var run = PgPhaseCli.Run(new Dictionary<string, string?>
        {
            ["DST_PGHOST"] = _f.Cluster.Host, ["DST_PGPORT"] = _f.Cluster.Port.ToString(), ["DST_PGUSER"] = _f.Restorer,
            ["DST_PGPASSWORD"] = _f.RestorerPassword, ["DST_DBNAME"] = cliTarget,
            ["PGPASSWORD"] = null, ["PGHOST"] = null, ["PGUSER"] = null, ["PGDATABASE"] = null,
            ["PGPHASE_JOURNAL_DIR"] = _dir.File("journals"),
        }, "restore", tar, "--no-owner", "--no-privileges", "--create", "--jobs", "4", "--quiet");
        Assert.NotEqual(0, run.ExitCode);
        var lines = run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.Contains($"member {wide.DataFile}", line);
        Assert.Contains($"at byte offset {offset - 512 + 124}", line);
        Assert.DoesNotContain(": Succeeded", run.StdOut.Split('\n').Where(l => l.StartsWith("Phase 3", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_latin1_database_dumped_as_tar_loads_through_one_pg_restore_and_is_identical()
    {
        var source = $"tlat_{Guid.NewGuid():N}"[..17];
        _f.Cluster.Execute("postgres", $"CREATE DATABASE {source} TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'");
        _f.Cluster.Execute(source, """
            CREATE TABLE caf (id int PRIMARY KEY, name text NOT NULL);
            INSERT INTO caf SELECT g, 'café ñandú ' || g || ' £ ÿ' FROM generate_series(1, 20000) g;
            CREATE TABLE other (id int PRIMARY KEY, v text);
            INSERT INTO other VALUES (1, 'Straße'), (2, NULL);
            """);
        var tar = _dir.File("latin1.tar");
        PgDump.Dump(_f.Cluster, source, tar, "-Ft");
        var target = _f.NewTargetName("tlat");
        _f.Cluster.Execute("postgres", $"CREATE DATABASE {target} TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' OWNER {_f.Restorer}");

        var log = new List<string>();
        var results = await RestoreAsync(tar, target, jobs: 4, splitTableSize: 1, log: m => { lock (log) log.Add(m); });

        AssertSucceeded(results);
        Assert.Contains(log, l => l == $"{tar}: its data is not UTF-8, so its tables load through one pg_restore, one after another");
        Assert.DoesNotContain(log, l => l.Contains("each from its own data", StringComparison.Ordinal));
        AssertSameAs(source, target);
        Assert.Equal("café ñandú 7 £ ÿ", _f.Cluster.Scalar<string>(target, "SELECT name FROM caf WHERE id = 7"));
    }

    [Fact]
    public async Task Two_restores_of_one_tar_into_one_target_at_once_one_refuses_and_the_rows_load_once()
    {
        var source = CreateSource("ttwo");
        var tar = _dir.File("two.tar");
        PgDump.Dump(_f.Cluster, source, tar, "-Ft");
        var target = _f.NewTargetName("ttwo");
        _f.Cluster.Execute("postgres", $"CREATE DATABASE {target} OWNER {_f.Restorer}");

        // The first run holds its data phase while its tables load side by side; the second starts then.
        using var loading = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var first = Task.Run(() => RestoreAsync(tar, target, jobs: 4, splitTableSize: 1, progress: new CallbackProgress<RestoreProgress>(p =>
        {
            if (p.Phase == 3 && p.Activity.StartsWith("loading ", StringComparison.Ordinal) && !loading.IsSet)
            {
                loading.Set();
                release.Wait(TimeSpan.FromMinutes(2));
            }
        })));
        Assert.True(loading.Wait(TimeSpan.FromMinutes(2)), "the first run never reached its data phase");
        try
        {
            var refused = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(tar, target, jobs: 4, splitTableSize: 1, resume: true));
            Assert.Contains($"target database \"{target}\" is already being restored", refused.Message);
            Assert.Equal(PgPhaseErrorKind.Busy, refused.Kind);
        }
        finally
        {
            release.Set();
        }
        AssertSucceeded(await first);
        AssertSameAs(source, target);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Rows_hard_to_cut_load_split_over_every_session_and_equal_the_source(bool loadViaPartitionRoot)
    {
        var source = CreateSource("ttrk");
        var tar = _dir.File($"tricky-{loadViaPartitionRoot}.tar");
        PgDump.Dump(_f.Cluster, source, tar, loadViaPartitionRoot ? ["-Ft", "--load-via-partition-root"] : ["-Ft"]);
        var target = _f.NewTargetName("ttrk");
        var log = new List<string>();

        var results = await RestoreAsync(tar, target, jobs: 4, splitTableSize: 1, log: m => { lock (log) log.Add(m); });

        AssertSucceeded(results);
        Assert.Contains(log, l => l.StartsWith("loaded app.wide: 40,000 rows over 4 sessions", StringComparison.Ordinal));
        Assert.Contains(log, l => l.StartsWith("loaded Quoted \"Schema\" x.Table \"with\" quotes and spaces: 3,000 rows over 4 sessions", StringComparison.Ordinal));
        AssertSameAs(source, target);
    }

    [Theory]
    [InlineData(1024L * 1024 * 1024)]
    [InlineData(1024L * 1024)]
    public async Task A_copy_session_ended_under_a_big_table_fails_that_table_by_name_and_resume_gives_an_identical_target(long splitTableSize)
    {
        var tar = _dir.File($"events-{splitTableSize}.tar");
        PgDump.Dump(_f.Cluster, _f.Source, tar, "-Ft");
        var events = await TableDataAsync(tar, "app.events");
        var target = _f.NewTargetName("tend");
        using var restore = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var run = RestoreAsync(tar, target, jobs: 4, splitTableSize: splitTableSize, ct: restore.Token);

        // One session copying app.events is terminated half way through, as a failover or an operator would.
        int pid = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (pid == 0 && DateTime.UtcNow < deadline && !run.IsCompleted)
        {
            pid = _f.Cluster.Scalar<int>("postgres", $"""
                SELECT pid FROM pg_stat_activity WHERE datname = '{target}' AND application_name LIKE '{StaleSessions.Prefix}3 %'
                AND query LIKE 'COPY app.events%' ORDER BY pid LIMIT 1
                """);
            Thread.Sleep(pid == 0 ? 20 : 500);
        }
        Assert.NotEqual(0, pid);
        _f.Cluster.Execute("postgres", $"SELECT pg_terminate_backend({pid})");
        var results = await run;

        var data = results.Single(r => r.Phase == 3);
        Assert.Equal(PhaseStatus.Failed, data.Status);
        var error = Assert.Single(data.Errors, e => e.Entry == "TABLE DATA app.events");
        Assert.Equal(events.DumpId, error.DumpId);
        Assert.DoesNotContain("cancel", error.Message, StringComparison.OrdinalIgnoreCase); // the session's own failure, not the stop it caused
        Assert.False(error.Message.EndsWith("Exception while writing to stream", StringComparison.Ordinal), error.Message); // with its cause
        Assert.False(Journal(target).IsTableDone(events.DumpId), "the journal marks the table whose session ended done");
        Assert.DoesNotContain(Journal(target).CompletedPhases, p => p == 3);

        var resumed = await RestoreAsync(tar, target, jobs: 4, splitTableSize: splitTableSize, resume: true);
        AssertSucceeded(resumed);
        AssertSameAs(_f.Source, target);
    }

    [Fact]
    public async Task A_copy_the_server_refuses_fails_its_table_by_name_instead_of_waiting_forever()
    {
        // One session per table: the rows' reader fills its two chunks of room fast, and with nobody draining them it
        // would wait for ever unless the refused COPY stops it.
        var tar = _dir.File("refused.tar");
        PgDump.Dump(_f.Cluster, _f.Source, tar, "-Ft");
        var target = _f.NewTargetName("trefuse");
        var progress = new CallbackProgress<RestoreProgress>(p =>
        {
            if (p.Phase == 2 && p.Activity == "done")
                _f.Cluster.Execute(target, $"REVOKE INSERT ON app.events FROM {_f.Restorer}");
        });
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        var results = await RestoreAsync(tar, target, jobs: 4, splitTableSize: 0, progress: progress, ct: limit.Token);

        Assert.False(limit.IsCancellationRequested, "the restore waited until the test's limit");
        var data = results.Single(r => r.Phase == 3);
        Assert.Equal(PhaseStatus.Failed, data.Status);
        var error = Assert.Single(data.Errors, e => e.Entry == "TABLE DATA app.events");
        Assert.Contains("permission denied", error.Message);
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.events"));
    }
}
