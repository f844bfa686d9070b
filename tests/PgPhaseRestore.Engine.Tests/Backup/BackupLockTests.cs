using System.Diagnostics;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Backup;

/// <summary>
/// One writer per backup location, through real s3rver (which ignores conditional writes, so the lock alone
/// decides) and real PostgreSQL: concurrent runs, stale and live locks, a lock lost mid-run, leftovers of
/// killed runs, and the same on local paths.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class BackupLockTests : IClassFixture<BackupLockTests.Fixture>, IDisposable
{
    public sealed class Fixture : IDisposable
    {
        public Fixture(Services services)
        {
            Cluster = services.Postgres;
            S3 = services.S3;
            Source = SampleDatabases.CreateKitchenSink(Cluster, "lock");
            // Enough rows that a dump spans a few 5 MiB parts, so two runs overlap for seconds.
            Cluster.Execute(Source, "CREATE TABLE zz_fill (id bigint PRIMARY KEY, body text NOT NULL); " +
                                    "INSERT INTO zz_fill SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 120000) g; ANALYZE;");
            Bucket = S3.CreateBucket("lock");
        }

        public PostgresCluster Cluster { get; }
        public S3rverServer S3 { get; }
        public string Source { get; }
        public string Bucket { get; }

        public void Dispose()
        {
        }
    }

    private readonly Fixture _f;
    private readonly TempDir _dir = new();

    public BackupLockTests(Fixture fixture) => _f = fixture;

    private PgConnectionInfo Connection(string database) =>
        PgConnectionInfo.Parse($"host={_f.Cluster.Host} port={_f.Cluster.Port} dbname={database} user={_f.Cluster.User}", _ => null)
            .WithCredentials(_f.Cluster.User, _f.Cluster.Password);

    private BackupOptions Options(string destination, bool force = false, S3Settings? storage = null, BackupLockTiming? timing = null) => new()
    {
        Source = Connection(_f.Source),
        Destination = destination,
        Compression = "0",
        Storage = storage ?? _f.S3.Settings(),
        Multipart = new MultipartOptions { InitialPartSize = MultipartOptions.MinPartSize, PartsInFlight = 2 },
        Force = force,
        Lock = timing ?? new BackupLockTiming(),
    };

    private string NewKey(string name) => $"s3://{_f.Bucket}/{name}/{Guid.NewGuid():N}.dump";

    private static string Sha256(byte[] data) => Convert.ToHexString(SHA256.HashData(data)).ToLowerInvariant();

    private static async Task<byte[]> DownloadAsync(IAmazonS3 client, S3ObjectLocation location)
    {
        using var response = await client.GetObjectAsync(location.Bucket, location.Key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static async Task<string?> TextAsync(IAmazonS3 client, string uri)
    {
        var location = S3ObjectLocation.Parse(uri);
        try
        {
            using var response = await client.GetObjectAsync(location.Bucket, location.Key);
            using var reader = new StreamReader(response.ResponseStream);
            return await reader.ReadToEndAsync();
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task PutTextAsync(IAmazonS3 client, string uri, string text)
    {
        var location = S3ObjectLocation.Parse(uri);
        await client.PutObjectAsync(new PutObjectRequest { BucketName = location.Bucket, Key = location.Key, ContentBody = text, UseChunkEncoding = false });
    }

    private static BackupLockHolder Holder(string host, int pid, DateTimeOffset? processStarted, TimeSpan heartbeatAge) => new()
    {
        RunId = Guid.NewGuid().ToString("N"),
        Host = host,
        Pid = pid,
        ProcessStarted = processStarted,
        Started = DateTimeOffset.UtcNow - heartbeatAge - TimeSpan.FromMinutes(1),
        Heartbeat = DateTimeOffset.UtcNow - heartbeatAge,
    };

    /// <summary>A lock as a live run elsewhere in this very process would hold it: this host, this pid, a fresh heartbeat.</summary>
    private static BackupLockHolder LiveHolder() => Holder(RunIdentity.Host, Environment.ProcessId, RunIdentity.ProcessStarted, TimeSpan.Zero);

    private static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    private async Task RestoreAndCompareAsync(string location)
    {
        var target = _f.Cluster.CreateDatabase("lockr");
        _f.Cluster.DropDatabase(target);
        var plan = await ArchivePlanning.PlanAsync(new ArchiveLocation(location, _f.S3.Settings()), new PlanOptions(), CancellationToken.None);
        var results = await new PhaseRestorer(new RestoreOptions
        {
            Target = Connection(target), CreateDatabase = true, NoOwner = true, NoPrivileges = true, JournalPath = _dir.File(target + ".journal"),
            Storage = _f.S3.Settings(),
        }).RunAsync(plan.Phases, CancellationToken.None);
        Assert.All(results, r => Assert.True(r.Status == PhaseStatus.Succeeded, $"{r}: {string.Join("; ", r.Errors)}"));
        Assert.Equal(PgDump.ComparableSchema(_f.Cluster, _f.Source), PgDump.ComparableSchema(_f.Cluster, target));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, target));
    }

    [Fact]
    public async Task Two_concurrent_backups_to_one_key_one_wins_the_loser_names_the_holder_and_the_winners_backup_restores()
    {
        var location = NewKey("race");
        var logs = new[] { new List<string>(), new List<string>() };
        var runs = Enumerable.Range(0, 2)
            .Select(i => Task.Run(() => new BackupRunner(Options(location), log: m => { lock (logs[i]) logs[i].Add(m); }).RunAsync(CancellationToken.None)))
            .ToArray();
        await Task.WhenAll(runs.Select(t => t.ContinueWith(_ => { })));

        using var client = _f.S3.Client();
        var outcome = string.Join("\n---\n", runs.Select((t, i) => $"run {i}: {t.Exception?.InnerException?.ToString() ?? "succeeded"}\n{string.Join("\n", logs[i])}"));
        if (runs.All(t => t.IsFaulted) && runs.All(t => t.Exception!.InnerException is PgPhaseException p && p.Message.Contains("(a run whose lock cannot be read, ", StringComparison.Ordinal)))
        {
            // s3rver's writes are not atomic: two PUTs of the lock at the same moment can interleave into one object
            // that neither run can read. Neither may then start, each says so, and nothing but that lock is written;
            // it is taken over once it is old enough. (AWS S3 and the stores that honour If-None-Match never tear it.)
            Assert.All(runs, t => Assert.Contains("this backup did not start and changed nothing", t.Exception!.InnerException!.Message));
            Assert.Null(await BucketProbe.DescribeIfExistsAsync(client, S3ObjectLocation.Parse(location), CancellationToken.None));
            Assert.Null(await TextAsync(client, BackupManifest.ManifestLocationFor(location)));
            Assert.Empty(_f.S3.PendingUploads(_f.Bucket));
            return;
        }
        Assert.True(runs.Count(t => t.IsCompletedSuccessfully) == 1, outcome);
        var won = Assert.Single(runs, t => t.IsCompletedSuccessfully);
        var lost = Assert.Single(runs, t => t.IsFaulted);
        var refusal = lost.Exception!.InnerException as PgPhaseException;
        Assert.True(refusal is not null, $"the loser failed with {lost.Exception.InnerException}");
        Assert.StartsWith($"{location}: another backup is writing here (run ", refusal.Message);
        Assert.Contains($"on host {RunIdentity.Host}, pid {Environment.ProcessId}", refusal.Message);
        Assert.Contains("this backup did not start and changed nothing", refusal.Message);
        Assert.DoesNotContain('\n', refusal.Message);

        var winner = await won;
        var stored = await DownloadAsync(client, S3ObjectLocation.Parse(location));
        Assert.Equal(winner.Size, stored.Length);
        Assert.Equal(winner.Sha256, Sha256(stored));
        var manifest = await ManifestStore.TryLoadAsync(location, client, CancellationToken.None);
        Assert.NotNull(manifest);
        Assert.Equal(ManifestStore.Serialize(winner), ManifestStore.Serialize(manifest!));
        Assert.Null(await TextAsync(client, location + BackupNaming.LockSuffix));
        Assert.Empty(_f.S3.PendingUploads(_f.Bucket));
        await RestoreAndCompareAsync(location);
    }

    [Fact]
    public async Task A_stale_lock_is_taken_over_whether_its_heartbeat_is_old_or_its_process_on_this_host_is_gone()
    {
        using var client = _f.S3.Client();
        var stale = new (BackupLockHolder Holder, string Why)[]
        {
            (Holder("another-host", 4242, null, TimeSpan.FromHours(1)), "its last heartbeat was 60 min ago"),
            (Holder(RunIdentity.Host, DeadPid(), null, TimeSpan.Zero), "no longer runs on this host"),
        };
        foreach (var (holder, why) in stale)
        {
            var location = NewKey("stale");
            await PutTextAsync(client, location + BackupNaming.LockSuffix, BackupLock.Serialize(holder));
            var log = new List<string>();

            var manifest = await new BackupRunner(Options(location), log: m => { lock (log) log.Add(m); }).RunAsync(CancellationToken.None);

            Assert.Contains(log, l => l.Contains($"took over the lock {location}{BackupNaming.LockSuffix} from run {holder.RunId}", StringComparison.Ordinal) && l.Contains(why, StringComparison.Ordinal));
            Assert.Equal(manifest.Sha256, Sha256(await DownloadAsync(client, S3ObjectLocation.Parse(location))));
            Assert.Null(await TextAsync(client, location + BackupNaming.LockSuffix));
        }
    }

    [Fact]
    public async Task A_live_lock_refuses_even_a_forced_backup_and_leaves_the_existing_backup_and_the_lock_untouched()
    {
        using var client = _f.S3.Client();
        var location = NewKey("live");
        var existing = await new BackupRunner(Options(location)).RunAsync(CancellationToken.None);
        var existingManifest = await TextAsync(client, BackupManifest.ManifestLocationFor(location));
        var lockText = BackupLock.Serialize(LiveHolder());
        await PutTextAsync(client, location + BackupNaming.LockSuffix, lockText);
        var holder = BackupLock.Parse(new LockRecord(lockText, null, null))!;

        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => new BackupRunner(Options(location, force: true)).RunAsync(CancellationToken.None));

        Assert.StartsWith(
            $"{location}: another backup is writing here (run {holder.RunId} on host {RunIdentity.Host}, pid {Environment.ProcessId}, started {holder.Started.UtcDateTime:u}, last heartbeat ",
            ex.Message);
        Assert.Equal(lockText, await TextAsync(client, location + BackupNaming.LockSuffix));
        Assert.Equal(existingManifest, await TextAsync(client, BackupManifest.ManifestLocationFor(location)));
        Assert.Equal(existing.Sha256, Sha256(await DownloadAsync(client, S3ObjectLocation.Parse(location))));
        Assert.Empty(_f.S3.PendingUploads(_f.Bucket));
    }

    [Fact]
    public async Task Incomplete_uploads_of_the_key_left_by_killed_runs_are_aborted_and_those_of_other_keys_are_not()
    {
        using var client = _f.S3.Client();
        var location = NewKey("leftover");
        var target = S3ObjectLocation.Parse(location);
        var sibling = target with { Key = target.Key + ".old" };
        async Task<string> BeginAsync(S3ObjectLocation at)
        {
            var init = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = at.Bucket, Key = at.Key });
            await client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = at.Bucket, Key = at.Key, UploadId = init.UploadId, PartNumber = 1,
                InputStream = new MemoryStream(new byte[MultipartOptions.MinPartSize]), UseChunkEncoding = false,
            });
            return init.UploadId;
        }
        var left = new[] { await BeginAsync(target), await BeginAsync(target) };
        var other = await BeginAsync(sibling);
        var log = new List<string>();

        await new BackupRunner(Options(location), log: m => { lock (log) log.Add(m); }).RunAsync(CancellationToken.None);

        foreach (var id in left)
        {
            Assert.Contains(log, l => l.StartsWith($"{location}: aborted the incomplete upload {id} started ", StringComparison.Ordinal));
            Assert.DoesNotContain(id, _f.S3.PendingUploads(_f.Bucket));
        }
        Assert.Contains(other, _f.S3.PendingUploads(_f.Bucket));
        Assert.DoesNotContain(log, l => l.Contains(other, StringComparison.Ordinal));
        await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = sibling.Bucket, Key = sibling.Key, UploadId = other });
    }

    [Fact]
    public async Task A_run_whose_lock_is_taken_over_stops_aborts_its_upload_and_leaves_the_new_holders_lock()
    {
        using var client = _f.S3.Client();
        var location = NewKey("lost");
        var intruder = BackupLock.Serialize(LiveHolder());
        int taken = 0;
        var runner = new BackupRunner(new BackupOptions
        {
            Source = Connection(_f.Source), Destination = location, Compression = "0", Storage = _f.S3.Settings(),
            // One part in flight: the dump waits while this callback runs, so the intruder arrives mid-run.
            Multipart = new MultipartOptions { InitialPartSize = MultipartOptions.MinPartSize, PartsInFlight = 1 },
            // No heartbeat during the test: on a server that ignores If-Match, a heartbeat's read-then-write can land
            // over the intruder's lock (the real intruder would then see that and stop); the check before the upload
            // completes is what must catch it here.
            Lock = new BackupLockTiming { Settle = TimeSpan.FromMilliseconds(500), Heartbeat = TimeSpan.FromMinutes(10) },
        }, new CallbackProgress<BackupProgress>(p =>
        {
            if (p.Bytes > 0 && Interlocked.Exchange(ref taken, 1) == 0)
            {
                PutTextAsync(client, location + BackupNaming.LockSuffix, intruder).GetAwaiter().GetResult();
                Thread.Sleep(1500);
            }
        }));

        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => runner.RunAsync(CancellationToken.None));

        Assert.Equal(1, taken);
        Assert.StartsWith($"{location}: ", ex.Message);
        Assert.Contains($"run {BackupLock.Parse(new LockRecord(intruder, null, null))!.RunId} on host {RunIdentity.Host}", ex.Message);
        Assert.Contains("took over the lock", ex.Message);
        Assert.Null(await BucketProbe.DescribeIfExistsAsync(client, S3ObjectLocation.Parse(location), CancellationToken.None));
        Assert.Null(await TextAsync(client, BackupManifest.ManifestLocationFor(location)));
        Assert.Equal(intruder, await TextAsync(client, location + BackupNaming.LockSuffix));
        Assert.Empty(_f.S3.PendingUploads(_f.Bucket));
    }

    [Fact]
    public async Task The_holder_refreshes_its_heartbeat_and_removes_only_its_own_lock()
    {
        using var client = _f.S3.Client();
        var lockUri = NewKey("heartbeat") + BackupNaming.LockSuffix;
        var store = new S3LockStore(client, S3ObjectLocation.Parse(lockUri), null);
        var timing = new BackupLockTiming { Settle = TimeSpan.FromMilliseconds(200), Heartbeat = TimeSpan.FromMilliseconds(200) };

        var held = await BackupLock.AcquireAsync(store, "s3://x", timing, null, CancellationToken.None);
        var first = BackupLock.Parse((await store.ReadAsync(CancellationToken.None))!)!;
        await Task.Delay(1000);
        var later = BackupLock.Parse((await store.ReadAsync(CancellationToken.None))!)!;
        Assert.Equal(held.RunId, later.RunId);
        Assert.True(later.Heartbeat > first.Heartbeat, $"heartbeat {first.Heartbeat:O} was not refreshed ({later.Heartbeat:O})");
        Assert.False(held.IsLost);
        await held.DisposeAsync();
        Assert.Null(await TextAsync(client, lockUri));

        // A second holder that lost its lock leaves the new holder's alone.
        var second = await BackupLock.AcquireAsync(store, "s3://x", timing, null, CancellationToken.None);
        var intruder = BackupLock.Serialize(LiveHolder());
        await PutTextAsync(client, lockUri, intruder);
        await Task.Delay(1000);
        Assert.True(second.IsLost);
        await second.DisposeAsync();
        Assert.Equal(intruder, await TextAsync(client, lockUri));
    }

    /// <summary>
    /// A heartbeat already writing when the holder stops is finished, not abandoned: a PUT the client gives up on may
    /// still land after the lock's removal and bring back a live-looking lock that refuses the next backup.
    /// </summary>
    [Fact]
    public async Task Stopping_the_holder_lets_a_heartbeat_already_writing_land_before_the_lock_is_removed()
    {
        using var client = _f.S3.Client();
        var lockUri = NewKey("inflight") + BackupNaming.LockSuffix;
        var store = new GatedReplace(new S3LockStore(client, S3ObjectLocation.Parse(lockUri), null));
        var timing = new BackupLockTiming { Settle = TimeSpan.FromMilliseconds(200), Heartbeat = TimeSpan.FromMilliseconds(200) };

        var held = await BackupLock.AcquireAsync(store, "s3://x", timing, null, CancellationToken.None);
        await store.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var stopping = held.DisposeAsync().AsTask();
        await Task.Delay(300);
        Assert.False(stopping.IsCompleted, "the holder stopped while its heartbeat was still writing");
        store.Open();
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["heartbeat written", "lock removed"], store.Events);
        Assert.Null(await TextAsync(client, lockUri));
    }

    /// <summary>The real store, whose first heartbeat write waits at a gate (giving up if its token says so).</summary>
    private sealed class GatedReplace(ILockStore inner) : ILockStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<string> _events = [];
        private int _replaces;

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<string> Events
        {
            get
            {
                lock (_events)
                    return _events.ToList();
            }
        }

        public string Name => inner.Name;

        public void Open() => _gate.TrySetResult();

        public Task<LockRecord?> ReadAsync(CancellationToken ct) => inner.ReadAsync(ct);

        public Task<bool> CreateAsync(string text, CancellationToken ct) => inner.CreateAsync(text, ct);

        public async Task<bool> ReplaceAsync(string text, string? etag, CancellationToken ct)
        {
            if (Interlocked.Increment(ref _replaces) == 1)
            {
                Started.TrySetResult();
                try
                {
                    await _gate.Task.WaitAsync(ct);
                }
                catch (OperationCanceledException)
                {
                    Record("heartbeat abandoned");
                    throw;
                }
            }
            bool written = await inner.ReplaceAsync(text, etag, ct);
            Record("heartbeat written");
            return written;
        }

        public Task<bool> RefusesSecondCreateAsync(string text, CancellationToken ct) => inner.RefusesSecondCreateAsync(text, ct);

        public async Task DeleteAsync(CancellationToken ct)
        {
            await inner.DeleteAsync(ct);
            Record("lock removed");
        }

        private void Record(string what)
        {
            lock (_events)
                _events.Add(what);
        }
    }

    [Fact]
    public async Task Two_concurrent_backups_to_one_local_path_one_wins_and_nothing_partial_is_left()
    {
        var location = _dir.File("race/app.dump");
        var runs = Enumerable.Range(0, 2)
            .Select(_ => Task.Run(() => new BackupRunner(new BackupOptions { Source = Connection(_f.Source), Destination = location }).RunAsync(CancellationToken.None)))
            .ToArray();
        await Task.WhenAll(runs.Select(t => t.ContinueWith(_ => { })));

        Assert.True(runs.Count(t => t.IsCompletedSuccessfully) == 1, string.Join("\n---\n", runs.Select((t, i) =>
            $"run {i}: {t.Exception?.InnerException?.ToString() ?? "succeeded"}")));
        var won = Assert.Single(runs, t => t.IsCompletedSuccessfully);
        var lost = Assert.Single(runs, t => t.IsFaulted);
        var refusal = Assert.IsType<PgPhaseException>(lost.Exception!.InnerException);
        Assert.StartsWith($"{location}: another backup is writing here (run ", refusal.Message);
        var winner = await won;
        Assert.Equal(winner.Sha256, Sha256(await File.ReadAllBytesAsync(location)));
        Assert.Equal(winner.Sha256, (await ManifestStore.TryLoadAsync(location, null, CancellationToken.None))!.Sha256);
        Assert.Equal(["app.dump", "app.dump.manifest.json"], Directory.GetFileSystemEntries(Path.GetDirectoryName(location)!).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task A_local_partial_of_a_killed_run_is_removed_by_the_next_run_and_a_live_runs_is_kept()
    {
        var location = _dir.File("leftover/app.dump");
        Directory.CreateDirectory(Path.GetDirectoryName(location)!);
        var deadFile = $"{location}.{RunIdentity.Host}.{DeadPid()}.0123abcd.pgphase-partial";
        var deadFolder = $"{location}.{RunIdentity.Host}.{DeadPid()}.4567abcd.pgphase-partial";
        var deadManifest = $"{location}.manifest.json.{RunIdentity.Host}.{DeadPid()}.89abcdef.pgphase-partial";
        var live = $"{location}.{RunIdentity.Host}.{Environment.ProcessId}.fedcba98.pgphase-partial";
        var elsewhere = $"{location}.another-host.{DeadPid()}.76543210.pgphase-partial";
        foreach (var f in new[] { deadFile, deadManifest, live, elsewhere })
            await File.WriteAllTextAsync(f, "partial");
        Directory.CreateDirectory(deadFolder);
        await File.WriteAllTextAsync(Path.Combine(deadFolder, "toc.dat"), "partial");
        var log = new List<string>();

        var manifest = await new BackupRunner(new BackupOptions { Source = Connection(_f.Source), Destination = location }, log: m => { lock (log) log.Add(m); })
            .RunAsync(CancellationToken.None);

        Assert.False(File.Exists(deadFile));
        Assert.False(Directory.Exists(deadFolder));
        Assert.False(File.Exists(deadManifest));
        Assert.True(File.Exists(live), "a partial of a live process was removed");
        Assert.True(File.Exists(elsewhere), "a partial of another host's run was removed without taking over its lock");
        Assert.Contains(log, l => l.StartsWith($"{location}: removed {Path.GetFileName(deadFile)}, left by an earlier run", StringComparison.Ordinal));
        Assert.Equal(manifest.Sha256, Sha256(await File.ReadAllBytesAsync(location)));
        Assert.False(File.Exists(location + BackupNaming.LockSuffix));
    }

    public void Dispose() => _dir.Dispose();
}
