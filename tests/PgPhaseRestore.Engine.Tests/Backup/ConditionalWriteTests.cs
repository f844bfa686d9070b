using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Backup;

/// <summary>
/// If-None-Match / If-Match on the writes that make a backup visible, against s3rver started to honour them
/// as AWS does, and against the suite's plain s3rver that ignores them (as many S3-compatible servers do).
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class ConditionalWriteTests : IClassFixture<ConditionalWriteTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public Fixture(Services services)
        {
            Cluster = services.Postgres;
            Plain = services.S3;
            Conditional = new S3rverServer(conditionalWrites: true);
            Source = Cluster.CreateDatabase("cond");
            Cluster.Execute(Source, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g;");
        }

        public PostgresCluster Cluster { get; }
        public S3rverServer Plain { get; }
        public S3rverServer Conditional { get; }
        public string Source { get; }

        public void Dispose() => Conditional.Dispose();
    }

    private readonly Fixture _f;

    public ConditionalWriteTests(Fixture fixture) => _f = fixture;

    private BackupOptions Options(S3rverServer s3, string location, bool force = false, BackupLockTiming? timing = null) => new()
    {
        Source = _f.Cluster.ConnectionTo(_f.Source),
        Destination = location,
        Storage = s3.Settings(),
        Force = force,
        // Heartbeats during the run exercise If-Match on the lock.
        Lock = timing ?? new BackupLockTiming { Settle = TimeSpan.FromMilliseconds(500), Heartbeat = TimeSpan.FromMilliseconds(100) },
    };

    private static async Task<string> Sha256Async(IAmazonS3 client, S3ObjectLocation location)
    {
        using var response = await client.GetObjectAsync(location.Bucket, location.Key);
        return Convert.ToHexString(await SHA256.HashDataAsync(response.ResponseStream)).ToLowerInvariant();
    }

    private static Task PutAsync(IAmazonS3 client, S3ObjectLocation at, string text, string? ifNoneMatch = null, string? ifMatch = null) =>
        client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = at.Bucket, Key = at.Key, ContentBody = text, UseChunkEncoding = false, IfNoneMatch = ifNoneMatch, IfMatch = ifMatch,
        });

    [Fact]
    public async Task The_conditional_server_really_refuses_and_the_plain_one_really_ignores()
    {
        foreach (var (s3, refuses) in new[] { (_f.Conditional, true), (_f.Plain, false) })
        {
            using var client = s3.Client();
            var at = new S3ObjectLocation(s3.CreateBucket("probe"), "k");
            await PutAsync(client, at, "first", ifNoneMatch: "*");
            var second = PutAsync(client, at, "second", ifNoneMatch: "*");
            if (refuses)
                Assert.Equal(System.Net.HttpStatusCode.PreconditionFailed, (await Assert.ThrowsAsync<AmazonS3Exception>(() => second)).StatusCode);
            else
                await second;
        }
    }

    [Fact]
    public async Task Backups_succeed_on_a_server_that_honours_conditional_writes_and_replace_only_when_forced()
    {
        using var client = _f.Conditional.Client();
        var location = $"s3://{_f.Conditional.CreateBucket("cond")}/app/today.dump";

        var first = await new BackupRunner(Options(_f.Conditional, location)).RunAsync(CancellationToken.None);
        Assert.Equal(first.Sha256, await Sha256Async(client, S3ObjectLocation.Parse(location)));
        var refused = await Assert.ThrowsAsync<PgPhaseException>(() => new BackupRunner(Options(_f.Conditional, location)).RunAsync(CancellationToken.None));
        Assert.Contains("already exists", refused.Message);
        // The refused run removed its lock on the way out.
        Assert.Null(await BucketProbe.DescribeIfExistsAsync(client, S3ObjectLocation.Parse(location + BackupNaming.LockSuffix), CancellationToken.None));

        _f.Cluster.Execute(_f.Source, "UPDATE t SET v = v || 'x' WHERE id < 100");
        var second = await new BackupRunner(Options(_f.Conditional, location, force: true)).RunAsync(CancellationToken.None);
        Assert.NotEqual(first.Sha256, second.Sha256);
        Assert.Equal(second.Sha256, await Sha256Async(client, S3ObjectLocation.Parse(location)));
        Assert.Equal(second.Sha256, (await ManifestStore.TryLoadAsync(location, client, CancellationToken.None))!.Sha256);
        Assert.Empty(_f.Conditional.PendingUploads(S3ObjectLocation.Parse(location).Bucket));
    }

    [Fact]
    public async Task Completion_is_refused_when_another_writer_put_an_object_at_the_key_meanwhile_and_that_object_stays()
    {
        using var client = _f.Conditional.Client();
        var at = new S3ObjectLocation(_f.Conditional.CreateBucket("cond"), "app/today.dump");
        var upload = await S3MultipartUpload.StartAsync(client, at, new MultipartOptions(), genericServer: true, null, CancellationToken.None);
        await upload.UploadFromAsync(new MemoryStream(RandomNumberGenerator.GetBytes(6 * 1024 * 1024)), null, CancellationToken.None);
        await PutAsync(client, at, "written by someone else");

        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => upload.CompleteAsync(onlyIfAbsent: true, null, CancellationToken.None));

        Assert.Equal(PgPhaseErrorCode.ArchiveAlreadyExists, ex.Code);
        Assert.StartsWith($"{at}: the server refused to complete the upload (PreconditionFailed): an object of 23 B was written at this key by someone else", ex.Message);
        Assert.Null(await upload.AbortAsync());
        using var response = await client.GetObjectAsync(at.Bucket, at.Key);
        Assert.Equal("written by someone else", await new StreamReader(response.ResponseStream).ReadToEndAsync());
        Assert.Empty(_f.Conditional.PendingUploads(at.Bucket));
    }

    [Fact]
    public async Task A_manifest_is_never_written_over_another_on_either_kind_of_server()
    {
        foreach (var s3 in new[] { _f.Conditional, _f.Plain })
        {
            using var client = s3.Client();
            var location = $"s3://{s3.CreateBucket("man")}/app/today.dump";
            var manifest = new BackupManifest { Location = location, Database = "app", Sha256 = "aa", Size = 1 };
            await ManifestStore.SaveAsync(manifest, client, CancellationToken.None);
            var other = new BackupManifest { Location = location, Database = "app", Sha256 = "bb", Size = 2 };

            var ex = await Assert.ThrowsAsync<PgPhaseException>(() => ManifestStore.SaveAsync(other, client, CancellationToken.None));

            Assert.StartsWith($"{BackupManifest.ManifestLocationFor(location)}: another manifest was written there", ex.Message);
            Assert.Equal("aa", (await ManifestStore.TryLoadAsync(location, client, CancellationToken.None))!.Sha256);
            await ManifestStore.SaveAsync(other, client, CancellationToken.None, replace: true);
            Assert.Equal("bb", (await ManifestStore.TryLoadAsync(location, client, CancellationToken.None))!.Sha256);
        }
    }

    [Fact]
    public async Task The_lock_object_is_created_only_where_none_is_and_replaced_only_as_it_was_read()
    {
        using var client = _f.Conditional.Client();
        var store = new S3LockStore(client, new S3ObjectLocation(_f.Conditional.CreateBucket("lk"), "a.dump" + BackupNaming.LockSuffix), null);

        Assert.True(await store.CreateAsync("one", CancellationToken.None));
        Assert.False(await store.CreateAsync("two", CancellationToken.None));
        var read = (await store.ReadAsync(CancellationToken.None))!;
        Assert.Equal("one", read.Text);
        Assert.True(await store.ReplaceAsync("three", read.ETag, CancellationToken.None));
        Assert.False(await store.ReplaceAsync("four", read.ETag, CancellationToken.None));
        Assert.Equal("three", (await store.ReadAsync(CancellationToken.None))!.Text);
    }

    [Fact]
    public async Task The_lock_waits_for_its_read_back_only_where_the_server_ignores_conditions()
    {
        // A settle pause long enough to see: skipped where a second create of the lock is refused, kept elsewhere.
        var pause = TimeSpan.FromSeconds(8);
        foreach (var (s3, waits) in new[] { (_f.Conditional, false), (_f.Plain, true) })
        {
            var location = $"s3://{s3.CreateBucket("settle")}/db/one.dump";
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var manifest = await new BackupRunner(Options(s3, location, timing: new BackupLockTiming { Settle = pause })).RunAsync(CancellationToken.None);
            clock.Stop();
            Assert.Equal(location, manifest.Location);
            if (waits)
                Assert.True(clock.Elapsed >= pause, $"{clock.Elapsed} on the plain server, where only the read-back decides the race");
            else
                Assert.True(clock.Elapsed < pause, $"{clock.Elapsed} on the conditional server, whose create already decided the race");
        }

        var local = Path.Combine(Directory.CreateTempSubdirectory("pgphase-settle-").FullName, "one.dump");
        var localClock = System.Diagnostics.Stopwatch.StartNew();
        await new BackupRunner(Options(_f.Plain, local, timing: new BackupLockTiming { Settle = pause })).RunAsync(CancellationToken.None);
        Assert.True(localClock.Elapsed < pause, $"{localClock.Elapsed} for a local path, whose create is an atomic link");
        Directory.Delete(Path.GetDirectoryName(local)!, recursive: true);
    }

    [Fact]
    public async Task A_runs_checks_of_its_lock_never_race_its_own_heartbeat_on_a_server_whose_writes_are_not_atomic()
    {
        // s3rver writes an object's body and its checksum metadata one after the other: a read between the two fails the
        // SDK's checksum however often it is retried while the writes go on. A heartbeat every millisecond rewrites the
        // lock all the time; every check of the run must still read its own lock whole.
        using var client = _f.Conditional.Client();
        var store = new S3LockStore(client, new S3ObjectLocation(_f.Conditional.CreateBucket("hb"), "a.dump" + BackupNaming.LockSuffix), null);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using (var held = await BackupLock.AcquireAsync(store, "s3://hb/a.dump", new BackupLockTiming { Heartbeat = TimeSpan.FromMilliseconds(1) }, log.Enqueue, CancellationToken.None))
        {
            for (int i = 0; i < 200; i++)
                await held.VerifyAsync("the next step", CancellationToken.None);
            Assert.False(held.IsLost);
        }
        Assert.DoesNotContain(log, line => line.Contains("could not refresh", StringComparison.Ordinal));
        Assert.Null(await store.ReadAsync(CancellationToken.None));
    }
}
