using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Amazon.S3;
using Amazon.S3.Model;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Backup;
using PgPhaseRestore.Engine.Tests.Cli;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// Parallel data phases from a bucket: tables fetched by ranged GETs of their own blocks and loaded side by side,
/// against real PostgreSQL and s3rver; damage, kills and backups without a block map.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class BucketParallelRestoreTests : IClassFixture<BucketParallelFixture>, IDisposable
{
    private readonly BucketParallelFixture _f;
    private readonly TempDir _dir = new("pgphase-bucket-par-");

    public BucketParallelRestoreTests(BucketParallelFixture fixture) => _f = fixture;

    private string Location => _f.Backup.Location;

    private string NewTarget(string prefix)
    {
        var target = _f.Cluster.CreateDatabase(prefix);
        _f.Cluster.DropDatabase(target);
        return target;
    }

    private static Action<string> Into(List<string> lines) => line =>
    {
        lock (lines)
            lines.Add(line);
    };

    private static void AssertSucceeded(IReadOnlyList<PhaseResult> results)
    {
        foreach (var r in results)
            Assert.True(r.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped, $"{r}: {string.Join("; ", r.Errors)}");
    }

    private void AssertSameAs(string source, string target)
    {
        Assert.Equal(PgDump.ComparableSchema(_f.Cluster, source), PgDump.ComparableSchema(_f.Cluster, target));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, source), DatabaseContents.Fingerprint(_f.Cluster, target));
    }

    private Task<DumpArchive> ArchiveAsync(string location) => ArchiveReader.ReadAsync(new ArchiveLocation(location, _f.S3.Settings()));

    private static List<TocEntry> Tables(DumpArchive archive) => archive.Entries.Where(e => e.Type == "TABLE DATA").ToList();

    private static string Sha(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    private static Task PutAsync(IAmazonS3 client, S3ObjectLocation location, byte[] bytes) =>
        client.PutObjectAsync(new PutObjectRequest { BucketName = location.Bucket, Key = location.Key, InputStream = new MemoryStream(bytes), UseChunkEncoding = false });

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for {what}");
            Thread.Sleep(100);
        }
    }

    [Fact]
    public async Task A_bucket_backup_maps_each_data_block_and_the_map_is_the_stored_bytes()
    {
        using var client = _f.S3.Client();
        var manifest = await ManifestStore.TryLoadAsync(Location, client, CancellationToken.None);
        var map = manifest!.DataBlocks;
        Assert.NotNull(map);
        var bytes = await BucketParallelFixture.DownloadAsync(client, S3ObjectLocation.Parse(Location));
        var archive = await ArchiveAsync(Location);

        // Streamed: the TOC itself holds no offsets; the manifest's map does.
        Assert.All(Tables(archive), e => Assert.Equal(DataState.OffsetNotSet, e.DataState));
        Assert.Null(map!.Mismatch(archive, bytes.Length));
        Assert.Equal(Sha(bytes.AsSpan(0, (int)map.TocEnd)), map.TocSha256);
        foreach (var block in map.Blocks)
        {
            Assert.Equal(Sha(bytes.AsSpan((int)block.Offset, (int)block.Length)), block.Sha256);
            // Where pg_restore reads a block header: its type (1 table data, 3 large objects), then its dump id.
            Assert.Contains(bytes[block.Offset], new byte[] { 1, 3 });
            Assert.Equal(0, bytes[block.Offset + 1]);
            Assert.Equal(block.DumpId, BitConverter.ToInt32(bytes, (int)block.Offset + 2));
        }
        Assert.Contains(map.Blocks, b => archive.FindByDumpId(b.DumpId)!.Type == "BLOBS");
        Assert.Equal(Tables(archive).Count, map.Blocks.Count(b => archive.FindByDumpId(b.DumpId)!.Type == "TABLE DATA"));
    }

    [Theory]
    [InlineData(RestoreStrategy.PreCreate)]
    [InlineData(RestoreStrategy.Auto)]
    public async Task Jobs_from_the_bucket_fetch_each_table_by_its_own_ranged_GET_split_the_big_ones_and_equal_the_source(RestoreStrategy strategy)
    {
        var target = NewTarget(strategy == RestoreStrategy.Auto ? "parauto" : "parpre");
        var log = new List<string>();
        var debug = new List<string>();

        var results = await _f.RestoreAsync(Location, target, strategy, jobs: 4, splitTableSize: 1024 * 1024, log: Into(log), debug: Into(debug));

        AssertSucceeded(results);
        AssertSameAs(_f.Source, target);
        Assert.Contains(log, l => l.Contains(", up to 4 at once, each from its own data", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("through one pg_restore", StringComparison.Ordinal));
        if (strategy == RestoreStrategy.PreCreate)
        {
            Assert.Contains(log, l => l.StartsWith("loaded public.bulk_a: 200,000 rows over 4 sessions", StringComparison.Ordinal));
            Assert.Contains(log, l => l.StartsWith("loaded public.bulk_b: 200,000 rows over 4 sessions", StringComparison.Ordinal));
        }
        else
        {
            // Auto builds every index of the bulk tables after their data: with nothing maintained while they load,
            // each loads in one session, its rows in the dump's order.
            Assert.All(new[] { "bulk_a", "bulk_b" }, name => Assert.Contains(log, l => l.StartsWith($"building CONSTRAINT public.{name} {name}_pkey after its table's data", StringComparison.Ordinal)));
            Assert.DoesNotContain(log, l => l.Contains("public.bulk_", StringComparison.Ordinal) && l.Contains(" sessions", StringComparison.Ordinal));
            Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM (SELECT id < lag(id) OVER (ORDER BY ctid) AS back FROM public.bulk_a) x WHERE back"));
        }
        // Every table's block, split or not, was fetched on its own by a ranged GET.
        var archive = await ArchiveAsync(Location);
        foreach (var table in Tables(archive))
        {
            var block = _f.Backup.DataBlocks!.Blocks.Single(b => b.DumpId == table.DumpId);
            Assert.Contains(debug, l => l.Contains($"bytes {block.Offset}-{block.End - 1} (ranged GET)", StringComparison.Ordinal));
        }
        if (strategy == RestoreStrategy.Auto)
        {
            // A late index build starts only once its table has committed.
            int loaded = log.FindIndex(l => l.StartsWith("public.bulk_b committed: 2 late index builds may start", StringComparison.Ordinal));
            int built = log.FindIndex(l => l.StartsWith("building INDEX public.bulk_b_body after its table's data", StringComparison.Ordinal));
            Assert.True(built > loaded && loaded >= 0, string.Join("\n", log));
        }
    }

    [Fact]
    public async Task A_table_held_up_by_a_lock_does_not_hold_up_the_tables_after_it_in_the_archive()
    {
        var target = NewTarget("side");
        AssertSucceeded(await _f.RestoreAsync(Location, target, phases: [1, 2]));
        var archive = await ArchiveAsync(Location);
        var blocks = _f.Backup.DataBlocks!.Blocks.ToDictionary(b => b.DumpId);
        var bulkA = Tables(archive).Single(e => e.Name == "bulk_a");
        var after = Tables(archive).Where(e => blocks[e.DumpId].Offset > blocks[bulkA.DumpId].Offset).ToList();
        Assert.NotEmpty(after);

        // SHARE mode: the restore may read the table (to see it is empty) but its COPY waits.
        await using var blocker = _f.Cluster.Open(target);
        using (var cmd = new Npgsql.NpgsqlCommand("BEGIN; LOCK TABLE public.bulk_a IN SHARE MODE", blocker))
            await cmd.ExecuteNonQueryAsync();
        var debug = new List<string>();
        var run = _f.RestoreAsync(Location, target, phases: [3], debug: Into(debug));
        var waiting = $"SELECT count(*) FROM pg_stat_activity WHERE datname = '{target}' AND wait_event_type = 'Lock' AND query LIKE 'COPY public.bulk_a %'";
        WaitUntil(() => run.IsCompleted || _f.Cluster.Scalar<long>("postgres", waiting) == 1, "the COPY into bulk_a to wait on the lock");
        Assert.False(run.IsCompleted, "the data phase ended while bulk_a was locked");

        // One serial stream could not get past bulk_a; here every table after it commits meanwhile.
        WaitUntil(() => after.All(e => RestoreJournal.Load(_f.JournalPath(target)).IsTableDone(e.DumpId)), "the tables after bulk_a to be journaled");
        Assert.Equal(1L, _f.Cluster.Scalar<long>("postgres", waiting));
        Assert.False(RestoreJournal.Load(_f.JournalPath(target)).IsTableDone(bulkA.DumpId));

        using (var cmd = new Npgsql.NpgsqlCommand("ROLLBACK", blocker))
            await cmd.ExecuteNonQueryAsync();
        AssertSucceeded(await run);
        AssertSucceeded(await _f.RestoreAsync(Location, target, phases: [4]));
        AssertSameAs(_f.Source, target);
        Assert.True(debug.Count(l => l.Contains("(ranged GET)", StringComparison.Ordinal)) >= Tables(archive).Count);
    }

    [Fact]
    public async Task Many_small_tables_load_several_to_one_pg_restore_and_the_target_equals_the_source()
    {
        var source = _f.Cluster.CreateDatabase("parsmall");
        _f.Cluster.Execute(source, """
            DO $$ BEGIN FOR i IN 1..40 LOOP
              EXECUTE format('CREATE TABLE public.s%s (id int PRIMARY KEY, v text); INSERT INTO public.s%s SELECT g, md5(g::text) FROM generate_series(1, %s) g', i, i, i * 10);
            END LOOP; END $$;
            """);
        var location = $"s3://{_f.Bucket}/small/{Guid.NewGuid():N}.dump";
        var backup = await new BackupRunner(new BackupOptions { Source = _f.Connection(source), Destination = location, Storage = _f.S3.Settings() })
            .RunAsync(CancellationToken.None);
        Assert.NotNull(backup.DataBlocks);

        var target = NewTarget("small");
        var debug = new List<string>();
        AssertSucceeded(await _f.RestoreAsync(location, target, jobs: 2, debug: Into(debug)));

        // 40 small tables over 2 jobs: 8 pg_restore processes, each fed the TOC and 5 tables' blocks in file order.
        var feeds = debug.Where(l => l.StartsWith("pg_restore ", StringComparison.Ordinal) && l.Contains(" < bytes 0-", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, feeds.Count);
        Assert.All(feeds, f => Assert.Equal(5, System.Text.RegularExpressions.Regex.Matches(f, @" \+ bytes \d+-\d+ ").Count));
        AssertSameAs(source, target);

        // Stopped once the first share has committed: its tables are journaled, no table of an unfinished share is,
        // and a resume loads the rest to the same result.
        var stopped = NewTarget("smallstop");
        using var stop = new CancellationTokenSource();
        var progress = new CallbackProgress<RestoreProgress>(p =>
        {
            if (p.Phase == 3 && p.Activity.StartsWith("finished 5 small tables", StringComparison.Ordinal))
                stop.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _f.RestoreAsync(location, stopped, jobs: 2, progress: progress, ct: stop.Token));
        var journal = RestoreJournal.Load(_f.JournalPath(stopped));
        var tables = Tables(await ArchiveAsync(location)).ToList();
        int done = tables.Count(t => journal.IsTableDone(t.DumpId));
        Assert.True(done is >= 5 and < 40 && done % 5 == 0, $"{done} tables journaled");
        foreach (var table in tables.Where(t => journal.IsTableDone(t.DumpId)))
            Assert.Equal(_f.Cluster.Scalar<long>(source, $"SELECT count(*) FROM public.{table.Name}"), _f.Cluster.Scalar<long>(stopped, $"SELECT count(*) FROM public.{table.Name}"));
        AssertSucceeded(await _f.RestoreAsync(location, stopped, jobs: 2, resume: true));
        AssertSameAs(source, stopped);
    }

    /// <summary>The fixture's backup under another key, with its own manifest: a copy a test may damage.</summary>
    private async Task<(byte[] Original, S3ObjectLocation Copy, BackupManifest Manifest)> CopyWithManifestAsync(IAmazonS3 client, string folder)
    {
        var original = await BucketParallelFixture.DownloadAsync(client, S3ObjectLocation.Parse(Location));
        var copy = S3ObjectLocation.Parse(Location) with { Key = $"{folder}/{Guid.NewGuid():N}.dump" };
        var manifest = ManifestStore.Parse(ManifestStore.Serialize(_f.Backup), "test");
        manifest.Location = copy.ToString();
        await ManifestStore.SaveAsync(manifest, client, CancellationToken.None);
        return (original, copy, manifest);
    }

    /// <summary>A copy whose one byte in the middle of <paramref name="table"/>'s block differs: same size, only the checksum tells.</summary>
    private async Task<(byte[] Original, S3ObjectLocation Copy, TocEntry Table)> CopyWithDamagedBlockAsync(IAmazonS3 client, string folder, string table)
    {
        var (original, copy, manifest) = await CopyWithManifestAsync(client, folder);
        var entry = Tables(await ArchiveAsync(Location)).Single(e => e.Name == table);
        var block = manifest.DataBlocks!.Blocks.Single(b => b.DumpId == entry.DumpId);
        var damaged = original.ToArray();
        damaged[block.Offset + block.Length / 2] ^= 0x5A;
        await PutAsync(client, copy, damaged);
        return (original, copy, entry);
    }

    [Fact]
    public async Task A_damaged_block_fails_its_table_by_name_commits_none_of_its_rows_and_a_resume_after_repair_gives_the_source()
    {
        using var client = _f.S3.Client();
        // Same size, one byte different inside bulk_b's block: only its checksum can tell.
        var (original, copy, bulkB) = await CopyWithDamagedBlockAsync(client, "damaged", "bulk_b");

        var target = NewTarget("dmg");
        var results = await _f.RestoreAsync(copy.ToString(), target);

        Assert.Equal([PhaseStatus.Succeeded, PhaseStatus.Succeeded, PhaseStatus.Failed, PhaseStatus.NotRun], results.Select(r => r.Status));
        var error = Assert.Single(results[2].Errors);
        Assert.Equal(bulkB.DumpId, error.DumpId);
        Assert.Equal("TABLE DATA public.bulk_b", error.Entry);
        Assert.Contains("SHA-256", error.Message);
        Assert.Equal(PgPhaseErrorCode.DamagedArchive, error.Code);
        Assert.Contains(copy.Key, error.Message);
        Assert.False(RestoreJournal.Load(_f.JournalPath(target)).IsTableDone(bulkB.DumpId));
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM public.bulk_b"));

        await PutAsync(client, copy, original);
        var resumed = await _f.RestoreAsync(copy.ToString(), target, resume: true);
        Assert.Equal([PhaseStatus.Skipped, PhaseStatus.Skipped, PhaseStatus.Succeeded, PhaseStatus.Succeeded], resumed.Select(r => r.Status));
        AssertSameAs(_f.Source, target);
    }

    /// <summary>
    /// A byte changed where the server keeps a plain pg_dump archive (no manifest, so no block checksums of pgphase's),
    /// under the checksum the SDK stored with it: one job streams the object through pg_restore, the SDK compares as the
    /// last byte arrives, and the failure is a damaged archive naming the object, never the SDK's own words.
    /// </summary>
    [Fact]
    public async Task A_plain_archive_changed_under_its_stored_checksum_fails_one_job_as_a_damaged_archive_naming_it()
    {
        var source = SampleDatabases.CreateKitchenSink(_f.Cluster, "stored");
        _f.Cluster.Execute(source, "CREATE TABLE public.digits (id bigint PRIMARY KEY, body text NOT NULL); " +
                                   "INSERT INTO public.digits SELECT g, md5(g::text) FROM generate_series(1, 60000) g;");
        var dump = Path.Combine(Path.GetTempPath(), $"pgphase-stored-{Guid.NewGuid():N}.dump");
        PgDump.Dump(_f.Cluster, source, dump, "-Fc", "-Z0");
        var location = S3ObjectLocation.Parse($"s3://{_f.Bucket}/stored/{Guid.NewGuid():N}.dump");
        using var client = _f.S3.Client();
        await PutAsync(client, location, File.ReadAllBytes(dump));
        File.Delete(dump);
        var file = Path.Combine(_f.S3.DataDirectory, location.Bucket, location.Key + "._S3rver_object");
        var bytes = File.ReadAllBytes(file);
        // A hex digit of a row in the middle of the archive: still a valid row, so only a checksum can tell.
        int at = bytes.Length / 2;
        while (!Enumerable.Range(-3, 7).All(d => bytes[at + d] is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f') || bytes[at] > (byte)'8')
            at++;
        bytes[at]++;
        File.WriteAllBytes(file, bytes);

        // The stream's failure ends the restore (as a failed read of the archive does), or the phase that read it.
        var ex = await Record.ExceptionAsync(async () =>
        {
            var results = await _f.RestoreAsync(location.ToString(), NewTarget("storedone"), jobs: 1);
            throw (Exception?)results.SelectMany(r => r.Errors).FirstOrDefault()?.ToException() ?? new InvalidOperationException("the changed object restored without an error");
        });
        var failure = Assert.IsType<PgPhaseException>(ex);
        Assert.True(failure.Code == PgPhaseErrorCode.DamagedArchive, $"{failure.Code}: {failure.Message}");
        Assert.Contains(location.ToString(), failure.Message);
        Assert.DoesNotContain("Expected hash", failure.Message);
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(2, true)]
    [InlineData(1, false)]
    public async Task Rows_of_an_uncompressed_block_changed_in_the_bucket_are_never_committed(int jobs, bool split)
    {
        // One job streams the whole object through one pg_restore; two load each table from its own block.
        // Uncompressed, a changed digit is still a valid row: only the block's checksum can stop it.
        var source = SampleDatabases.CreateKitchenSink(_f.Cluster, "plain");
        _f.Cluster.Execute(source, "CREATE TABLE public.digits (id bigint PRIMARY KEY, body text NOT NULL); " +
                                   "INSERT INTO public.digits SELECT g, md5(g::text) FROM generate_series(1, 60000) g;");
        var location = $"s3://{_f.Bucket}/plain/{Guid.NewGuid():N}.dump";
        var backup = await new BackupRunner(new BackupOptions
        {
            Source = _f.Connection(source), Destination = location, Compression = "0", Storage = _f.S3.Settings(), Multipart = BucketBackupFixture.SmallParts,
        }).RunAsync(CancellationToken.None);
        var digits = Tables(await ArchiveAsync(location)).Single(e => e.Name == "digits");
        var block = backup.DataBlocks!.Blocks.Single(b => b.DumpId == digits.DumpId);
        using var client = _f.S3.Client();
        var original = await BucketParallelFixture.DownloadAsync(client, S3ObjectLocation.Parse(location));
        var damaged = original.ToArray();
        long at = block.Offset + block.Length / 2;
        // Inside a row's md5 text (seven hex characters around it), never in a chunk's length.
        while (!Enumerable.Range(-3, 7).All(d => damaged[at + d] is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f') || damaged[at] > (byte)'8')
            at++;
        damaged[at]++;
        await PutAsync(client, S3ObjectLocation.Parse(location), damaged);

        var target = NewTarget(split ? "plainsplit" : $"plainone{jobs}");
        var log = new List<string>();
        var results = await _f.RestoreAsync(location, target, jobs: jobs, splitTableSize: split ? block.Length : 0, log: Into(log));

        Assert.Equal(PhaseStatus.Failed, results[2].Status);
        var error = Assert.Single(results[2].Errors);
        Assert.Equal("TABLE DATA public.digits", error.Entry);
        Assert.Contains("SHA-256", error.Message);
        Assert.Equal(PgPhaseErrorCode.DamagedArchive, error.Code);
        Assert.Equal(split, log.Any(l => l.StartsWith("loading public.digits over 2 sessions", StringComparison.Ordinal)));
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM public.digits"));
        var journal = RestoreJournal.Load(_f.JournalPath(target));
        Assert.False(journal.IsTableDone(digits.DumpId));
        // The tables that committed before the damage are the ones the result counts (a stream of one job stops at it).
        var committed = Tables(await ArchiveAsync(location)).Count(e => journal.IsTableDone(e.DumpId));
        Assert.Equal(committed, results[2].TablesLoaded);
        Assert.True(jobs > 1 || committed > 0, "no table committed before the damaged one: the count proves nothing");

        await PutAsync(client, S3ObjectLocation.Parse(location), original);
        AssertSucceeded(await _f.RestoreAsync(location, target, jobs: jobs, splitTableSize: split ? block.Length : 0, resume: true));
        AssertSameAs(source, target);
    }

    [Fact]
    public async Task A_damaged_block_of_a_table_left_out_does_not_fail_a_one_job_restore_that_streams_over_it()
    {
        using var client = _f.S3.Client();
        var (_, copy, _) = await CopyWithDamagedBlockAsync(client, "leftout", "bulk_b");

        // pg_restore reads over bulk_b's block to the ones after it, but restores nothing from it.
        var storage = _f.S3.Settings();
        var plan = await ArchivePlanning.PlanAsync(new ArchiveLocation(copy.ToString(), storage),
            new PlanOptions { Strategy = RestoreStrategy.PreCreate, ExcludeTables = ["public.bulk_b"] }, CancellationToken.None);
        var target = NewTarget("leftout");
        var log = new List<string>();
        var results = await new PhaseRestorer(new RestoreOptions
        {
            Target = _f.Connection(target), CreateDatabase = true, NoOwner = true, NoPrivileges = true, JournalPath = _f.JournalPath(target),
            Jobs = 1, Storage = storage,
        }, log: Into(log)).RunAsync(plan.Phases, CancellationToken.None);

        AssertSucceeded(results);
        Assert.Contains(log, l => l.Contains("every data block restored match the manifest's SHA-256", StringComparison.Ordinal)
                                  || l.Contains("every block it restored before them matched", StringComparison.Ordinal));
        Assert.Equal(_f.Cluster.Scalar<long>(_f.Source, "SELECT count(*) FROM public.bulk_a"), _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM public.bulk_a"));
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM pg_class WHERE relname = 'bulk_b'"));
    }

    [Fact]
    public async Task A_TOC_changed_in_the_bucket_is_refused_before_the_target_is_created()
    {
        using var client = _f.S3.Client();
        var (original, copy, manifest) = await CopyWithManifestAsync(client, "toc");
        // Same size, one table renamed in the TOC (bulk_b becomes bulk_c): the TOC still reads, only its checksum tells.
        var damaged = original.ToArray();
        int at = damaged.AsSpan(0, (int)manifest.DataBlocks!.TocEnd).IndexOf("bulk_b"u8);
        Assert.True(at > 0);
        damaged[at + 5] = (byte)'c';
        await PutAsync(client, copy, damaged);

        var target = NewTarget("tocdmg");
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => _f.RestoreAsync(copy.ToString(), target, jobs: 1));
        Assert.Equal(PgPhaseErrorCode.DamagedArchive, ex.Code);
        Assert.Contains("header and TOC", ex.Message);
        Assert.Contains(copy.Key, ex.Message);
        Assert.Equal(0L, _f.Cluster.Scalar<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'"));
    }

    [Fact]
    public async Task A_block_read_cut_by_a_server_restart_resumes_with_a_range_request_from_where_it_stopped()
    {
        // A block far larger than what loopback sockets buffer (uncompressed, about 50 MB): when the server stops
        // mid-block, part of it is still unsent, so the read is really cut rather than served from kernel buffers.
        var source = _f.Cluster.CreateDatabase("parbig");
        _f.Cluster.Execute(source, "CREATE TABLE public.big (id bigint PRIMARY KEY, body text NOT NULL); " +
                                   "INSERT INTO public.big SELECT g, md5(g::text) || md5((g + 1)::text) || md5((g + 2)::text) || md5((g + 3)::text) FROM generate_series(1, 400000) g; ANALYZE;");
        var backup = await new BackupRunner(new BackupOptions
        {
            Source = _f.Connection(source), Destination = $"s3://{_f.Bucket}/big/", Storage = _f.S3.Settings(), Compression = "0",
        }).RunAsync(CancellationToken.None);
        Assert.NotNull(backup.DataBlocks);

        var target = NewTarget("parres");
        var log = new List<string>();
        // The server goes away 5 MB into the block, wherever the restore's clock stands, and stays away 1.5 s.
        using var proxy = new CuttingProxy(new Uri(_f.S3.Endpoint).Port, cutAfter: 5 << 20, downFor: TimeSpan.FromSeconds(1.5));

        var results = await _f.RestoreAsync(backup.Location, target, jobs: 2, log: Into(log), storage: _f.S3.Settings() with { EndpointUrl = proxy.Endpoint });

        Assert.True(proxy.CutAt > 0, "the block's read was never cut");
        AssertSucceeded(results);
        Assert.Contains(log, l => l.Contains("read interrupted at byte", StringComparison.Ordinal));
        AssertSameAs(source, target);
    }

    private Dictionary<string, string?> CliEnvironment(string target)
    {
        var env = PgPhaseCli.S3Environment(_f.S3);
        env["DST_PGHOST"] = _f.Cluster.Host;
        env["DST_PGPORT"] = _f.Cluster.Port.ToString();
        env["DST_PGUSER"] = _f.Cluster.User;
        env["DST_PGPASSWORD"] = _f.Cluster.Password;
        env["DST_DBNAME"] = target;
        env["PGPASSWORD"] = null;
        env["PGHOST"] = null;
        env["PGUSER"] = null;
        env["PGDATABASE"] = null;
        env["PGPHASE_JOURNAL_DIR"] = _f.JournalDir;
        return env;
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1MB")]
    public void Sigkill_of_the_pgphase_process_group_mid_data_phase_from_the_bucket_then_resume_gives_an_identical_target(string splitTableSize)
    {
        var target = NewTarget("kpar");
        var env = CliEnvironment(target);
        string[] args = ["restore", Location, "--no-owner", "--no-privileges", "--jobs", "4", "--split-table-size", splitTableSize];
        // setsid makes pgphase the leader of a process group of its own, so the whole group can be killed.
        using (var run = ChildProcess.Start("setsid", ["dotnet", PgPhaseCli.Dll, .. args, "--create"], env))
        {
            if (!run.WaitForStdErr("loading table public.bulk_", TimeSpan.FromMinutes(3)))
                Assert.Fail($"pgphase {(run.HasExited ? $"exited with {run.Process.ExitCode}" : "still runs")} before loading the big tables:\n{run.StdErrSoFar}");
            Thread.Sleep(300);
            // Killed while it has a pg_restore at work (between two loads there may be none for a moment).
            List<int> children = [];
            WaitUntil(() => (children = ProcessTable.All().Where(p => p.Name == "pg_restore" && p.CommandLine.Contains($"dbname={target}", StringComparison.Ordinal)).Select(p => p.Pid).ToList()).Count > 0,
                "a pg_restore of pgphase");
            ChildProcess.RunChecked("kill", ["-KILL", "--", "-" + run.Process.Id], TimeSpan.FromSeconds(10));
            run.Process.WaitForExit(10_000);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (children.Any(ProcessTable.IsAlive) && DateTime.UtcNow < deadline)
                Thread.Sleep(50);
            Assert.False(children.Any(ProcessTable.IsAlive), "a pg_restore still runs after its process group was killed");
        }
        var journal = Directory.GetFiles(_f.JournalDir, "*.json").Select(RestoreJournal.Load).Single(j => j.Target.EndsWith("/" + target, StringComparison.Ordinal));
        Assert.True(journal.IsInterrupted(3), "the kill came after the data phase");
        Assert.True(_f.Cluster.Scalar<long>(target, "SELECT (SELECT count(*) FROM public.bulk_a) + (SELECT count(*) FROM public.bulk_b)") < 400_000,
            "the kill came after the big tables had loaded");

        var resumed = PgPhaseCli.Run(env, [.. args, "--resume", "--stop-stale-sessions"]);
        Assert.True(resumed.ExitCode == 0, $"exit {resumed.ExitCode}\n{resumed.StdErr}\n{resumed.StdOut}");
        Assert.DoesNotContain(": Failed", resumed.StdOut);
        AssertSameAs(_f.Source, target);
    }

    [Fact]
    public async Task A_manifest_without_a_block_map_restores_through_one_stream_says_why_and_equals_the_source()
    {
        // What an older pgphase wrote: the same object and manifest, without the map.
        using var client = _f.S3.Client();
        var copy = S3ObjectLocation.Parse(Location) with { Key = $"older/{Guid.NewGuid():N}.dump" };
        await PutAsync(client, copy, await BucketParallelFixture.DownloadAsync(client, S3ObjectLocation.Parse(Location)));
        var manifest = JsonNode.Parse(ManifestStore.Serialize(_f.Backup))!.AsObject();
        Assert.True(manifest.Remove("dataBlocks"));
        await PutAsync(client, S3ObjectLocation.Parse(BackupManifest.ManifestLocationFor(copy.ToString())), System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString()));

        var target = NewTarget("older");
        var log = new List<string>();
        AssertSucceeded(await _f.RestoreAsync(copy.ToString(), target, splitTableSize: 1024 * 1024, log: Into(log)));

        AssertSameAs(_f.Source, target);
        Assert.Contains(log, l => l.Contains("through one pg_restore: its manifest records no data block offsets", StringComparison.Ordinal));
        Assert.Contains(log, l => l.Contains("SHA-256 matches the manifest", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("at once, each from its own data", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dump_stream_the_scanner_does_not_understand_is_backed_up_without_a_map_and_restores_through_one_stream()
    {
        var source = SampleDatabases.CreateKitchenSink(_f.Cluster, "odd");
        // pg_dump itself, with bytes after its archive that no pg_dump writes.
        var wrapper = _dir.File("pg_dump");
        File.WriteAllText(wrapper, $"""
            #!/bin/sh
            if [ "$1" = "--version" ]; then exec '{_f.Cluster.ClientTool("pg_dump")}' "$@"; fi
            '{_f.Cluster.ClientTool("pg_dump")}' "$@" || exit $?
            printf 'unexpected'
            """.Replace("\r", ""));
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var debug = new List<string>();
        var backup = await new BackupRunner(new BackupOptions
        {
            Source = _f.Connection(source), Destination = $"s3://{_f.Bucket}/odd/{Guid.NewGuid():N}.dump", Storage = _f.S3.Settings(),
            Multipart = BucketBackupFixture.SmallParts, PgDumpPath = wrapper,
        }, null, null, Into(debug)).RunAsync(CancellationToken.None);

        Assert.Null(backup.DataBlocks);
        Assert.Contains(debug, l => l.StartsWith("no data block map recorded (data block type 117 is unknown", StringComparison.Ordinal));

        var target = NewTarget("oddr");
        var log = new List<string>();
        AssertSucceeded(await _f.RestoreAsync(backup.Location, target, log: Into(log)));
        AssertSameAs(source, target);
        Assert.Contains(log, l => l.Contains("through one pg_restore: its manifest records no data block offsets", StringComparison.Ordinal));
    }

    public void Dispose() => _dir.Dispose();
}
