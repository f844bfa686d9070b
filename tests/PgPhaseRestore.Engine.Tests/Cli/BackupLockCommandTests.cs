using System.Security.Cryptography;
using Amazon.S3;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>`pgphase backup` processes racing for one destination, and the next run after one was killed, the way cron jobs and operators collide.</summary>
[Collection(ServicesCollection.Name)]
public sealed class BackupLockCommandTests : IClassFixture<BackupLockCommandTests.Fixture>, IDisposable
{
    public sealed class Fixture
    {
        public Fixture(Services services)
        {
            Cluster = services.Postgres;
            S3 = services.S3;
            // About 45 MB uncompressed: a run lasts long enough to race with and to be killed mid-stream.
            Source = Cluster.CreateDatabase("lockcli");
            Cluster.Execute(Source, "CREATE TABLE items (id bigint PRIMARY KEY, label text UNIQUE, body text NOT NULL); " +
                                    "INSERT INTO items SELECT g, 'item-' || g, repeat(md5(g::text), 5) FROM generate_series(1, 220000) g; ANALYZE;");
            Bucket = S3.CreateBucket("lockcli");
        }

        public PostgresCluster Cluster { get; }
        public S3rverServer S3 { get; }
        public string Source { get; }
        public string Bucket { get; }
    }

    private readonly Fixture _f;
    private readonly TempDir _dir = new();

    public BackupLockCommandTests(Fixture fixture) => _f = fixture;

    private Dictionary<string, string?> Environment(string? target = null)
    {
        var env = PgPhaseCli.S3Environment(_f.S3);
        foreach (var prefix in new[] { "SRC_", "DST_" })
        {
            env[prefix + "PGHOST"] = _f.Cluster.Host;
            env[prefix + "PGPORT"] = _f.Cluster.Port.ToString();
            env[prefix + "PGUSER"] = _f.Cluster.User;
            env[prefix + "PGPASSWORD"] = _f.Cluster.Password;
        }
        env["SRC_DBNAME"] = _f.Source;
        env["DST_DBNAME"] = target;
        env["PGPASSWORD"] = null;
        env["PGHOST"] = null;
        env["PGUSER"] = null;
        return env;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Starts two `pgphase backup` processes at once and waits for both. Their pg_dump waits at a gate until one
    /// run has ended: the winner is still writing when the other reaches the lock, however slowly either starts.
    /// </summary>
    private (ChildProcess.Result Result, int Pid)[] Race(string destination)
    {
        var pgDump = new GatedPgTool(_dir.Path, "pg_dump");
        var runs = Enumerable.Range(0, 2)
            .Select(_ => PgPhaseCli.Start(Environment(), "backup", "--to", destination, "--compress", "0", "--part-size", "5MiB", "--quiet", "--pg-dump", pgDump.Path))
            .ToList();
        try
        {
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!runs.Any(r => r.HasExited) && DateTime.UtcNow < deadline)
                Thread.Sleep(20);
            pgDump.Open();
            return runs.Select(r => (r.Wait(TimeSpan.FromMinutes(5)), r.Process.Id)).ToArray();
        }
        finally
        {
            foreach (var r in runs)
                r.Dispose();
        }
    }

    private static void AssertOneWinner((ChildProcess.Result Result, int Pid)[] runs, string destination, out ChildProcess.Result winner)
    {
        var won = Assert.Single(runs, r => r.Result.ExitCode == 0);
        var lost = Assert.Single(runs, r => r.Result.ExitCode != 0);
        winner = won.Result;
        Assert.Equal(1, lost.Result.ExitCode);
        // The loser says, in one line, which key and which run (the winner's own pid) holds it.
        var line = Assert.Single(Lines(lost.Result.StdErr));
        Assert.True(line.StartsWith($"pgphase: {destination}: another backup is writing here (run ", StringComparison.Ordinal), line);
        Assert.Contains($"on host {RunIdentity.Host}, pid {won.Pid}, started ", line);
        Assert.Equal("", lost.Result.StdOut);
        Assert.Equal("", winner.StdErr);
    }

    [Fact]
    public async Task Two_backups_started_together_to_one_key_one_succeeds_and_its_backup_is_whole_and_restores()
    {
        var location = $"s3://{_f.Bucket}/race/{Guid.NewGuid():N}.dump";

        AssertOneWinner(Race(location), location, out var winner);

        var printed = winner.StdOut.Trim().Split('\t');
        Assert.Equal(location, printed[0]);
        using var client = _f.S3.Client();
        var manifest = await ManifestStore.TryLoadAsync(location, client, CancellationToken.None);
        Assert.NotNull(manifest);
        Assert.Equal(printed[1], manifest!.Size.ToString());
        Assert.Equal(printed[2], manifest.Sha256);
        var at = S3ObjectLocation.Parse(location);
        using (var response = await client.GetObjectAsync(at.Bucket, at.Key))
            Assert.Equal(manifest.Sha256, Convert.ToHexString(await SHA256.HashDataAsync(response.ResponseStream)).ToLowerInvariant());
        Assert.Null(await BucketProbe.DescribeIfExistsAsync(client, at with { Key = at.Key + BackupNaming.LockSuffix }, CancellationToken.None));
        Assert.Empty(_f.S3.PendingUploads(_f.Bucket));

        var target = _f.Cluster.CreateDatabase("lockcli_r");
        _f.Cluster.DropDatabase(target);
        var restore = PgPhaseCli.Run(Environment(target), "restore", location, "--create", "--quiet");
        Assert.True(restore.ExitCode == 0, restore.StdErr + restore.StdOut);
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, target));
    }

    [Fact]
    public void Two_backups_started_together_to_one_local_path_one_succeeds()
    {
        var location = _dir.File("race/app.dump");

        AssertOneWinner(Race(location), location, out var winner);

        Assert.StartsWith(location + "\t", winner.StdOut);
        Assert.Equal(["app.dump", "app.dump.manifest.json"], Directory.GetFileSystemEntries(_dir.File("race")).Select(Path.GetFileName).Order());
        var verify = PgPhaseCli.Run("toc", location, "--list");
        Assert.True(verify.ExitCode == 0, verify.StdErr);
        Assert.Contains("TABLE DATA public items", verify.StdOut);
    }

    /// <summary>
    /// Starts a backup and SIGKILLs it and its pg_dump mid-run, as an OOM kill or a node loss would. To catch it
    /// there every time, its pg_dump waits at a gate; once the run holds the backup lock (the source was inspected by
    /// then) the test takes an exclusive lock on the table and opens the gate: pg_dump then waits for the table,
    /// with its output file or upload already open (<paramref name="dumpWaiting"/>), and the kill comes.
    /// </summary>
    private void KillMidRun(string destination, Func<bool> lockTaken, Func<bool> dumpWaiting, bool pgphaseAlone = false)
    {
        var pgDump = new GatedPgTool(_dir.Path, "pg_dump");
        using var run = PgPhaseCli.Start(Environment(), "backup", "--to", destination, "--compress", "0", "--part-size", "5MiB", "--quiet", "--pg-dump", pgDump.Path);
        void WaitFor(Func<bool> condition, string what)
        {
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (!condition())
            {
                if (run.HasExited)
                {
                    var r = run.Wait(TimeSpan.FromSeconds(5));
                    Assert.Fail($"the backup ended (exit code {r.ExitCode}) before {what}: {r.StdErr}{r.StdOut}");
                }
                Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
                Thread.Sleep(10);
            }
        }

        WaitFor(lockTaken, "it took the backup lock");
        using var holder = _f.Cluster.Open(_f.Source);
        using (var block = holder.CreateCommand())
        {
            block.CommandText = "SET lock_timeout = '5s'; BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE";
            block.ExecuteNonQuery();
        }
        pgDump.Open();
        WaitFor(() => _f.Cluster.Scalar<long>(_f.Source,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgphase backup' AND wait_event_type = 'Lock'") > 0 && dumpWaiting(),
            "pg_dump waited for the table");
        var dumps = ProcessTable.Find("pg_dump", $"dbname={_f.Source}").Select(p => p.Pid).ToList();
        Assert.NotEmpty(dumps);
        run.Process.Kill(entireProcessTree: !pgphaseAlone);
        run.Process.WaitForExit();
        // pg_dump dies with pgphase even when only pgphase was killed, while the table is still locked: an
        // orphan would otherwise finish the dump behind the next run's back.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (dumps.Any(ProcessTable.IsAlive) && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        Assert.False(dumps.Any(ProcessTable.IsAlive), "pg_dump outlived pgphase");
    }

    [Fact]
    public async Task After_a_killed_bucket_backup_the_next_run_takes_over_its_lock_at_once_and_aborts_its_upload()
    {
        var location = $"s3://{_f.Bucket}/killed/{Guid.NewGuid():N}.dump";
        var at = S3ObjectLocation.Parse(location);
        using var client = _f.S3.Client();
        var before = _f.S3.PendingUploads(_f.Bucket).ToHashSet();
        var lockAt = at with { Key = at.Key + BackupNaming.LockSuffix };
        KillMidRun(location,
            () => BucketProbe.DescribeIfExistsAsync(client, lockAt, CancellationToken.None).GetAwaiter().GetResult() is not null,
            () => _f.S3.PendingUploads(_f.Bucket).Any(id => !before.Contains(id)));
        var left = Assert.Single(_f.S3.PendingUploads(_f.Bucket), id => !before.Contains(id));
        Assert.NotNull(await BucketProbe.DescribeIfExistsAsync(client, lockAt, CancellationToken.None));

        var next = PgPhaseCli.Run(Environment(), "backup", "--to", location, "--compress", "0");

        Assert.True(next.ExitCode == 0, next.StdErr);
        Assert.Contains($"{location}: took over the lock {location}{BackupNaming.LockSuffix} from run ", next.StdErr);
        Assert.Contains("no longer runs on this host", next.StdErr);
        Assert.Contains($"{location}: aborted the incomplete upload {left} started ", next.StdErr);
        Assert.DoesNotContain(left, _f.S3.PendingUploads(_f.Bucket));
        Assert.NotNull(await ManifestStore.TryLoadAsync(location, client, CancellationToken.None));
        Assert.Null(await BucketProbe.DescribeIfExistsAsync(client, at with { Key = at.Key + BackupNaming.LockSuffix }, CancellationToken.None));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void After_a_killed_local_backup_the_next_run_takes_over_its_lock_and_removes_its_partial_file(bool pgphaseAlone)
    {
        var location = _dir.File($"killed{pgphaseAlone}/app.dump");
        string[] Partials() => Directory.Exists(Path.GetDirectoryName(location)) ? Directory.GetFiles(Path.GetDirectoryName(location)!, "*.pgphase-partial") : [];
        KillMidRun(location, () => File.Exists(location + BackupNaming.LockSuffix), () => Partials().Length > 0, pgphaseAlone);
        var partial = Path.GetFileName(Assert.Single(Partials()));
        Assert.True(File.Exists(location + BackupNaming.LockSuffix));

        var next = PgPhaseCli.Run(Environment(), "backup", "--to", location);

        Assert.True(next.ExitCode == 0, next.StdErr);
        Assert.Contains("no longer runs on this host", next.StdErr);
        Assert.Contains($"{location}: removed {partial}, left by an earlier run", next.StdErr);
        Assert.Equal(["app.dump", "app.dump.manifest.json"], Directory.GetFileSystemEntries(Path.GetDirectoryName(location)!).Select(Path.GetFileName).Order());
    }

    public void Dispose() => _dir.Dispose();
}
