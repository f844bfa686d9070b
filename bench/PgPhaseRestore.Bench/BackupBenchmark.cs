using System.Diagnostics;
using System.Globalization;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Bench;

/// <summary>
/// `pgphase backup` into s3rver beside what operators run instead: the shell pipeline it replaces,
/// `pg_dump -Fc | aws s3 cp - s3://...` (the awscli on PATH, Debian's by default), and `pg_dump -Fc -f` to a local
/// file. Every variant is a whole process, as a script would run it, with pg_dump's default compression; the
/// rounds rotate the order so caches favour none of them, and the median of each is compared. pgphase is measured
/// against a server that honours conditional writes (as AWS S3 does) and one that ignores them.
/// </summary>
public static class BackupBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int rows = int.Parse(BenchArgs.Option(args, "--rows") ?? "2000000", CultureInfo.InvariantCulture);
        int rounds = int.Parse(BenchArgs.Option(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        var aws = BenchArgs.Option(args, "--aws") ?? (File.Exists("/usr/bin/aws") ? "/usr/bin/aws" : "aws");
        using var cluster = new PostgresCluster();
        // AWS S3 honours If-None-Match, so a backup lock is decided at its write; many S3-compatible servers ignore
        // it, and there the lock is read back after a pause (BackupLockTiming.Settle): both are measured.
        using var s3 = new S3rverServer(conditionalWrites: true);
        using var ignoring = new S3rverServer();
        var db = cluster.CreateDatabase("benchbackup");
        Console.WriteLine($"generating {rows:N0} rows...");
        MeasurementsTable.Create(cluster, db, rows);
        cluster.Execute(db, """
            CREATE INDEX measurements_device_at ON measurements (device, at);
            ANALYZE measurements;
            """);
        Console.WriteLine("source: " + cluster.Scalar<string>(db, "SELECT pg_size_pretty(pg_database_size(current_database()))"));
        var bucket = s3.CreateBucket("bench");
        var ignoringBucket = ignoring.CreateBucket("bench");
        var dir = Directory.CreateTempSubdirectory("pgphase-bench-").FullName;
        try
        {
            var awsConfig = Path.Combine(dir, "aws-config");
            File.WriteAllText(awsConfig, "[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n");
            var environment = new Dictionary<string, string?>(cluster.ClientEnvironment())
            {
                ["AWS_ACCESS_KEY_ID"] = S3rverServer.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = S3rverServer.SecretKey,
                ["AWS_CONFIG_FILE"] = awsConfig, ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(dir, "none"),
                ["AWS_REGION"] = "us-east-1", ["S3_ENDPOINT_URL"] = s3.Endpoint, ["AWS_S3_FORCE_PATH_STYLE"] = "true",
                ["PGPHASE_JOURNAL_DIR"] = dir, ["PGPHASE_QUIET"] = "1",
            };
            var pgDump = cluster.ClientTool("pg_dump");
            var pgphase = Path.Combine(AppContext.BaseDirectory, "pgphase.dll");
            var variants = new (string Name, Func<int, string[]> Command)[]
            {
                ("pg_dump -f local file", round => [pgDump, "-Fc", "-d", db, "-f", Path.Combine(dir, $"local-{round}.dump")]),
                ("pg_dump | aws s3 cp -", round => ["bash", "-c",
                    $"set -o pipefail; '{pgDump}' -Fc -d '{db}' | '{aws}' s3 cp - 's3://{bucket}/pipe/{round}.dump' --endpoint-url '{s3.Endpoint}' --only-show-errors"]),
                ("pgphase backup", round => ["dotnet", pgphase, "backup", "--source", $"dbname={db}", "--to", $"s3://{bucket}/pgphase/{round}.dump"]),
                ("pgphase, no conditions", round => ["dotnet", pgphase, "backup", "--source", $"dbname={db}", "--to", $"s3://{ignoringBucket}/pgphase/{round}.dump",
                    "--s3-endpoint", ignoring.Endpoint]),
            };

            var times = variants.ToDictionary(v => v.Name, _ => new List<double>());
            for (int round = 0; round < rounds; round++)
            {
                for (int i = 0; i < variants.Length; i++)
                {
                    var (name, command) = variants[(i + round) % variants.Length];
                    var argv = command(round);
                    var clock = Stopwatch.StartNew();
                    ChildProcess.RunChecked(argv[0], argv[1..], TimeSpan.FromHours(2), environment);
                    times[name].Add(clock.Elapsed.TotalSeconds);
                    Console.WriteLine($"round {round + 1}: {name,-24} {clock.Elapsed.TotalSeconds,7:F2} s");
                }
            }

            long size = new FileInfo(Path.Combine(dir, "local-0.dump")).Length;
            var pipe = BenchArgs.Median(times[variants[1].Name]);
            var local = BenchArgs.Median(times[variants[0].Name]);
            Console.WriteLine();
            Console.WriteLine($"dump: {SizeText.Format(size)} (pg_dump's default compression), median of {rounds} rounds; s3rver honouring");
            Console.WriteLine("conditional writes as AWS S3 does, and (\"no conditions\") one ignoring them, where the lock waits for its read-back");
            Console.WriteLine($"{"variant",-24} {"median s",9} {"MB/s",8} {"vs pipeline",12} {"vs local",9}");
            foreach (var (name, _) in variants)
            {
                var t = BenchArgs.Median(times[name]);
                Console.WriteLine($"{name,-24} {t,9:F2} {size / 1048576.0 / t,8:F1} {t / pipe,11:F2}x {t / local,8:F2}x");
            }
            await Task.CompletedTask;
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
