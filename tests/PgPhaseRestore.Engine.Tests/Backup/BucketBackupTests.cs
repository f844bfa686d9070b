using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Backup;

/// <summary>Backups streamed into s3rver and restored straight from it, through the real S3 protocol and real PostgreSQL.</summary>
[Collection(ServicesCollection.Name)]
public sealed class BucketBackupTests : IClassFixture<BucketBackupFixture>
{
    private readonly BucketBackupFixture _f;

    public BucketBackupTests(BucketBackupFixture fixture) => _f = fixture;

    private async Task<IReadOnlyList<PhaseResult>> RestoreAsync(string location, string target, IProgress<RestoreProgress>? progress = null, Action<string>? log = null)
    {
        var plan = await ArchivePlanning.PlanAsync(new ArchiveLocation(location, _f.S3.Settings()), new PlanOptions(), CancellationToken.None);
        var options = new RestoreOptions
        {
            Target = _f.Connection(target), CreateDatabase = true, NoOwner = true, NoPrivileges = true, Storage = _f.S3.Settings(),
        };
        return await new PhaseRestorer(options, progress, log).RunAsync(plan.Phases, CancellationToken.None);
    }

    private void AssertSameAsSource(string target)
    {
        Assert.Equal(PgDump.ComparableSchema(_f.Cluster, _f.Source), PgDump.ComparableSchema(_f.Cluster, target));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, target));
    }

    private static void AssertSucceeded(IReadOnlyList<PhaseResult> results)
    {
        Assert.Equal([1, 2, 3, 4], results.Select(r => r.Phase));
        foreach (var r in results)
            Assert.True(r.Status == PhaseStatus.Succeeded, $"{r}: {string.Join("; ", r.Errors)}");
    }

    private static async Task<byte[]> DownloadAsync(IAmazonS3 client, S3ObjectLocation location)
    {
        using var response = await client.GetObjectAsync(location.Bucket, location.Key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>
    /// A key outside ASCII (a database named so, under a prefix): a server whose 404 bodies the SDK cannot read
    /// (s3rver writes them with HTML entities) still means "no such object" for the lock and the manifest.
    /// </summary>
    [Fact]
    public async Task A_backup_of_a_database_named_outside_ascii_under_such_a_key_is_written_listed_and_refused_once_there()
    {
        // Its name also goes into the object's metadata, which HTTP headers carry in ASCII only.
        var db = _f.Cluster.CreateDatabase("Ünï");
        _f.Cluster.Execute(db, "CREATE TABLE t (v text); INSERT INTO t VALUES ('Ünï')");
        var destination = $"s3://{_f.Bucket}/Ünïcode prefix/";
        var manifest = await new BackupRunner(_f.Options(db, destination, "nächtlich")).RunAsync(CancellationToken.None);
        Assert.Equal($"{destination}{db}/nächtlich.dump", manifest.Location);
        var listed = Assert.Single(await BackupCatalog.ListAsync(new ArchiveLocation(destination, _f.S3.Settings()), db, CancellationToken.None));
        Assert.Equal(manifest.Sha256, listed.Sha256);
        var again = await Assert.ThrowsAsync<PgPhaseException>(() => new BackupRunner(_f.Options(db, destination, "nächtlich")).RunAsync(CancellationToken.None));
        Assert.Equal(PgPhaseErrorCode.BackupExists, again.Code);
        _f.Cluster.DropDatabase(db);
    }

    /// <summary>
    /// A prefix written without its slash names a folder: s3://bucket/app lists the backups in app/, never those of
    /// app_j beside it (a restore of each -Latest would restore both), and an archive's own key lists that backup.
    /// </summary>
    [Fact]
    public async Task A_prefix_without_its_slash_lists_its_folder_and_not_the_folders_it_begins()
    {
        var db = _f.Cluster.CreateDatabase("fold");
        _f.Cluster.Execute(db, "CREATE TABLE t (v int); INSERT INTO t VALUES (1)");
        var root = $"s3://{_f.Bucket}/folders/";
        var mine = await new BackupRunner(_f.Options(db, $"{root}app/one.dump")).RunAsync(CancellationToken.None);
        var beside = await new BackupRunner(_f.Options(db, $"{root}app_j/two.dump")).RunAsync(CancellationToken.None);
        async Task<string[]> ListedAsync(string path) =>
            (await BackupCatalog.ListAsync(new ArchiveLocation(path, _f.S3.Settings()), null, CancellationToken.None)).Select(m => m.Location).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal([mine.Location], await ListedAsync($"{root}app"));
        Assert.Equal([mine.Location], await ListedAsync($"{root}app/"));
        Assert.Equal([mine.Location], await ListedAsync(mine.Location));
        Assert.Equal([mine.Location], await ListedAsync(mine.Location + BackupManifest.Suffix));
        Assert.Empty(await ListedAsync($"{root}ap"));
        Assert.Equal([mine.Location, beside.Location], await ListedAsync(root));
        _f.Cluster.DropDatabase(db);
    }

    [Fact]
    public async Task A_backup_spanning_many_parts_is_stored_whole_with_its_manifest_and_restores_equal_to_the_source()
    {
        var backup = _f.Backup;
        Assert.StartsWith($"s3://{_f.Bucket}/nightly/{_f.Source}/", backup.Location);
        Assert.True(backup.Parts >= 3, $"expected at least 3 parts, got {backup.Parts}");

        using var client = _f.S3.Client();
        var stored = await DownloadAsync(client, S3ObjectLocation.Parse(backup.Location));
        Assert.Equal(backup.Size, stored.Length);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(stored)).ToLowerInvariant(), backup.Sha256);

        var manifest = await ManifestStore.TryLoadAsync(backup.Location, client, CancellationToken.None);
        Assert.NotNull(manifest);
        Assert.Equal(backup.Sha256, manifest!.Sha256);
        Assert.Equal(_f.Source, manifest.Database);
        Assert.Equal(_f.Cluster.Scalar<string>("postgres", "SHOW server_version_num"), manifest.ServerVersionNum.ToString());
        Assert.Contains("pg_dump (PostgreSQL)", manifest.PgDumpVersion);
        Assert.True(manifest.Toc.TableData > 5);
        var big = Assert.Single(manifest.Tables, t => t.Name == "zz_big");
        Assert.InRange(big.RowEstimate!.Value, 390_000, 410_000);
        Assert.True(big.TableBytes > 60_000_000);
        Assert.Contains(manifest.Indexes, i => i.Table == "zz_big" && i.IsPrimary && i.Bytes > 0);
        Assert.Empty(_f.S3.PendingUploads(_f.Bucket));

        var target = _f.Cluster.CreateDatabase("froms3");
        _f.Cluster.DropDatabase(target);
        AssertSucceeded(await RestoreAsync(backup.Location, target));
        AssertSameAsSource(target);
    }

    [Fact]
    public async Task The_data_phase_resumes_with_a_range_request_when_the_server_restarts_mid_stream()
    {
        var target = _f.Cluster.CreateDatabase("resume");
        _f.Cluster.DropDatabase(target);
        var log = new List<string>();
        bool restarted = false;
        var progress = new CallbackProgress<RestoreProgress>(p =>
        {
            // The big table's data is last: by the time pg_restore starts on it, most of the object is still to come.
            if (!restarted && p.Phase == 3 && p.Activity.Contains("zz_big", StringComparison.Ordinal))
            {
                restarted = true;
                _f.S3.Stop();
                Thread.Sleep(1500);
                _f.S3.Start();
            }
        });

        var results = await RestoreAsync(_f.Backup.Location, target, progress, m => { lock (log) log.Add(m); });

        Assert.True(restarted, "the restore never reached the big table");
        AssertSucceeded(results);
        Assert.Contains(log, l => l.Contains("read interrupted at byte", StringComparison.Ordinal));
        // The backup maps its blocks: the one stream is checked block by block, across the reconnection.
        Assert.Contains(log, l => l.Contains("the TOC and every data block restored match the manifest's SHA-256", StringComparison.Ordinal));
        AssertSameAsSource(target);
    }

    [Fact]
    public async Task An_object_that_no_longer_matches_its_manifest_is_refused_before_anything_runs()
    {
        using var client = _f.S3.Client();
        var copy = S3ObjectLocation.Parse(_f.Backup.Location) with { Key = $"tampered/{Guid.NewGuid():N}.dump" };
        var bytes = await DownloadAsync(client, S3ObjectLocation.Parse(_f.Backup.Location));
        var manifest = ManifestStore.Parse(ManifestStore.Serialize(_f.Backup), "test");
        manifest.Location = copy.ToString();
        await ManifestStore.SaveAsync(manifest, client, CancellationToken.None);
        // Same size, different bytes: only the SHA-256 can tell.
        bytes[^100] ^= 0xFF;
        await client.PutObjectAsync(new PutObjectRequest { BucketName = copy.Bucket, Key = copy.Key, InputStream = new MemoryStream(bytes), UseChunkEncoding = false });

        var target = _f.Cluster.CreateDatabase("tampered");
        _f.Cluster.DropDatabase(target);
        var results = await RestoreAsync(copy.ToString(), target);
        var data = Assert.Single(results, r => r.Phase == 3);
        Assert.Equal(PhaseStatus.Failed, data.Status);
        Assert.Contains(data.Errors, e => e.Message.Contains("SHA-256", StringComparison.Ordinal) && e.Message.Contains(copy.Key, StringComparison.Ordinal));

        // A shorter object is refused before phase 1.
        await client.PutObjectAsync(new PutObjectRequest { BucketName = copy.Bucket, Key = copy.Key, InputStream = new MemoryStream(bytes[..^10]), UseChunkEncoding = false });
        var other = _f.Cluster.CreateDatabase("short");
        _f.Cluster.DropDatabase(other);
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(copy.ToString(), other));
        Assert.Contains("manifest says", ex.Message);
    }

    [Fact]
    public async Task An_existing_backup_is_replaced_only_when_forced()
    {
        var location = $"s3://{_f.Bucket}/replace/{Guid.NewGuid():N}.dump";
        var small = _f.Cluster.CreateDatabase("small");
        _f.Cluster.Execute(small, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100);");
        var first = await new BackupRunner(_f.Options(small, location)).RunAsync(CancellationToken.None);

        var refused = await Assert.ThrowsAsync<PgPhaseException>(() => new BackupRunner(_f.Options(small, location)).RunAsync(CancellationToken.None));
        Assert.Contains(location, refused.Message);
        Assert.Contains("already exists", refused.Message);

        _f.Cluster.Execute(small, "INSERT INTO t SELECT generate_series(101, 200);");
        var options = _f.Options(small, location);
        var second = await new BackupRunner(new BackupOptions
        {
            Source = options.Source, Destination = location, Storage = options.Storage, Multipart = options.Multipart, Force = true,
        }).RunAsync(CancellationToken.None);
        Assert.NotEqual(first.Sha256, second.Sha256);
        using var client = _f.S3.Client();
        Assert.Equal(second.Sha256, (await ManifestStore.TryLoadAsync(location, client, CancellationToken.None))!.Sha256);

        // A forced run that fails leaves the backup it would have replaced listed, with its object.
        var failed = await Assert.ThrowsAsync<PgPhaseException>(() => new BackupRunner(new BackupOptions
        {
            Source = options.Source, Destination = location, Storage = options.Storage, Multipart = options.Multipart, Force = true, Tables = ["no_such_table"],
        }).RunAsync(CancellationToken.None));
        Assert.Contains("no matching tables were found", failed.Message);
        Assert.Equal(second.Sha256, (await ManifestStore.TryLoadAsync(location, client, CancellationToken.None))?.Sha256);
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(location, options.Storage));
        Assert.Equal(small, archive.DatabaseName);
    }

    /// <summary>
    /// A stop that arrives once the dump is complete (the upload just completed, or a forced run's old manifest just
    /// removed) waits for the manifest: the run ends with the backup listed and whole, never with an object that no
    /// manifest describes, nor with no backup where a forced run replaced one.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_stop_while_publishing_still_ends_with_the_backup_listed_and_whole(bool replacing)
    {
        var location = $"s3://{_f.Bucket}/publishing/{Guid.NewGuid():N}.dump";
        var small = _f.Cluster.CreateDatabase("publishing");
        _f.Cluster.Execute(small, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1000);");
        var options = _f.Options(small, location);
        if (replacing)
            await new BackupRunner(options).RunAsync(CancellationToken.None);

        using var stop = new CancellationTokenSource();
        var log = new List<string>();
        void Watch(string line)
        {
            lock (log)
                log.Add(line);
            // The old manifest removed (replacing), or the upload completed: the stop lands inside publishing.
            if (line.Contains(replacing ? "the old backup's manifest at" : " completed: ", StringComparison.Ordinal))
                stop.Cancel();
        }
        var manifest = await new BackupRunner(new BackupOptions
        {
            Source = options.Source, Destination = location, Storage = options.Storage, Multipart = options.Multipart, Force = replacing,
        }, null, Watch, Watch).RunAsync(stop.Token);

        Assert.True(stop.IsCancellationRequested, "the stop never came: the test proves nothing\n" + string.Join("\n", log));
        using var client = _f.S3.Client();
        Assert.Equal(manifest.Sha256, (await ManifestStore.TryLoadAsync(location, client, CancellationToken.None))?.Sha256);
        var stored = await DownloadAsync(client, S3ObjectLocation.Parse(location));
        Assert.Equal(manifest.Sha256, Convert.ToHexString(SHA256.HashData(stored)).ToLowerInvariant());
        Assert.Empty(_f.S3.PendingUploads(_f.Bucket));
    }

    [Fact]
    public async Task A_pg_dump_killed_mid_stream_leaves_no_object_no_manifest_and_no_open_upload()
    {
        var location = $"s3://{_f.Bucket}/killed/{Guid.NewGuid():N}.dump";
        int killed = 0;
        var options = _f.Options(_f.Source, location);
        var runner = new BackupRunner(new BackupOptions
        {
            Source = options.Source, Destination = location, Compression = "0", Storage = options.Storage,
            // One part in flight: while this callback runs, nothing reads pg_dump's output, so it is stuck mid-stream.
            Multipart = new MultipartOptions { InitialPartSize = MultipartOptions.MinPartSize, PartsInFlight = 1 },
        }, new CallbackProgress<BackupProgress>(p =>
        {
            if (killed == 0 && p.Bytes > 0)
                killed = ProcessTable.Kill("pg_dump", $"dbname={_f.Source}");
        }));

        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => runner.RunAsync(CancellationToken.None));

        Assert.True(killed > 0, "pg_dump was not found running");
        Assert.Contains("pg_dump failed", ex.Message);
        Assert.Contains("aborted, no object was written", ex.Message);
        var target = S3ObjectLocation.Parse(location);
        using var client = _f.S3.Client();
        Assert.Null(await BucketProbe.DescribeIfExistsAsync(client, target, CancellationToken.None));
        Assert.Null(await ManifestStore.TryLoadAsync(location, client, CancellationToken.None));
        var uploads = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = _f.Bucket, Prefix = "killed/" });
        Assert.Empty(uploads.MultipartUploads ?? []);
        Assert.DoesNotContain(_f.S3.PendingUploads(_f.Bucket), id => true);
    }

    [Fact]
    public async Task A_cancelled_backup_aborts_its_upload()
    {
        var location = $"s3://{_f.Bucket}/cancelled/{Guid.NewGuid():N}.dump";
        using var cts = new CancellationTokenSource();
        var options = _f.Options(_f.Source, location);
        var runner = new BackupRunner(options, new CallbackProgress<BackupProgress>(p =>
        {
            if (p.Bytes > 0)
                cts.Cancel();
        }));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync(cts.Token));

        using var client = _f.S3.Client();
        Assert.Null(await BucketProbe.DescribeIfExistsAsync(client, S3ObjectLocation.Parse(location), CancellationToken.None));
        Assert.Empty(_f.S3.PendingUploads(_f.Bucket));
        Assert.Empty(ProcessTable.Find("pg_dump", $"dbname={_f.Source}"));
    }
}
