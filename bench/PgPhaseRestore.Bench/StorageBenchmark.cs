using System.Diagnostics;
using System.Globalization;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Bench;

/// <summary>
/// Backup into s3rver (streamed multipart upload) vs backup to a local file, and restore from s3rver (TOC by
/// ranged GET, data streamed into pg_restore) vs restore from the local file; same database, one run.
/// </summary>
public static class StorageBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int rows = int.Parse(BenchArgs.Option(args, "--rows") ?? "1000000", CultureInfo.InvariantCulture);
        using var cluster = new PostgresCluster();
        using var s3 = new S3rverServer();
        var db = cluster.CreateDatabase("benchs3");
        Console.WriteLine($"generating {rows:N0} rows...");
        cluster.Execute(db, $"""
            CREATE TABLE events (id bigint PRIMARY KEY, device int NOT NULL, at timestamptz NOT NULL, payload text NOT NULL);
            INSERT INTO events SELECT g, g % 5000, timestamptz '2024-01-01' + g * interval '1 second', md5(g::text) || md5((g * 7)::text)
              FROM generate_series(1, {rows}) g;
            CREATE INDEX events_device_at ON events (device, at);
            ANALYZE;
            """);
        var bucket = s3.CreateBucket("bench");
        var dir = Directory.CreateTempSubdirectory("pgphase-bench-").FullName;
        try
        {
            var source = cluster.ConnectionTo(db);
            var local = Path.Combine(dir, "events.dump");
            var remote = $"s3://{bucket}/bench/events.dump";

            var backupLocal = await TimeAsync("backup to a local file", () => new BackupRunner(new BackupOptions { Source = source, Destination = local, Compression = "0" }).RunAsync(default));
            var backupS3 = await TimeAsync("backup into s3rver", () => new BackupRunner(new BackupOptions { Source = source, Destination = remote, Compression = "0", Storage = s3.Settings() }).RunAsync(default));
            var restoreLocal = await TimeAsync("restore from the local file", () => RestoreAsync(cluster, local, "bench_from_file", null));
            var restoreS3 = await TimeAsync("restore from s3rver", () => RestoreAsync(cluster, remote, "bench_from_s3", s3.Settings()));

            long size = backupS3.Result.Size;
            Console.WriteLine();
            Console.WriteLine($"dump: {SizeText.Format(size)}, {backupS3.Result.Parts} parts");
            Console.WriteLine($"{"step",-30} {"local s",9} {"s3rver s",9} {"local MB/s",11} {"s3rver MB/s",12} {"s3rver/local",13}");
            Row("backup", backupLocal.Elapsed, backupS3.Elapsed, size);
            Row("four-phase restore", restoreLocal.Elapsed, restoreS3.Elapsed, size);
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Row(string step, TimeSpan local, TimeSpan remote, long bytes) =>
        Console.WriteLine($"{step,-30} {local.TotalSeconds,9:F2} {remote.TotalSeconds,9:F2} {bytes / 1048576.0 / local.TotalSeconds,11:F1} {bytes / 1048576.0 / remote.TotalSeconds,12:F1} {remote / local,12:F2}x");

    private static async Task<(T Result, TimeSpan Elapsed)> TimeAsync<T>(string what, Func<Task<T>> step)
    {
        Console.WriteLine(what + "...");
        var clock = Stopwatch.StartNew();
        var result = await step();
        return (result, clock.Elapsed);
    }

    private static async Task<int> RestoreAsync(PostgresCluster cluster, string location, string target, S3Settings? s3)
    {
        cluster.DropDatabase(target);
        var plan = await ArchivePlanning.PlanAsync(new ArchiveLocation(location, s3), new PlanOptions(), default);
        var journal = Path.Combine(Path.GetTempPath(), $"pgphase-bench-{Guid.NewGuid():N}.json");
        var results = await new PhaseRestorer(new RestoreOptions { Target = cluster.ConnectionTo(target), CreateDatabase = true, JournalPath = journal, Storage = s3 ?? new S3Settings() }).RunAsync(plan.Phases, default);
        File.Delete(journal);
        if (results.Any(r => r.Status != PhaseStatus.Succeeded))
            throw new InvalidOperationException($"restore from {location} failed: {string.Join("; ", results.SelectMany(r => r.Errors))}");
        return results.Count;
    }
}
