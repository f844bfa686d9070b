using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tools;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Bench;

/// <summary>
/// A database whose indexes outweigh its table, restored side by side in one run: plain pg_restore (what operators
/// use instead), the four-phase PreCreate with 1, 2 and 4 jobs, and Auto with a budget that fits every late index
/// build and one that fits about half; then the same database as a tar archive (plain pg_restore, PreCreate and
/// Auto with 2 jobs). Prints total time, temp bytes written, longest statement and the ratio of each to plain
/// pg_restore of the custom archive.
/// </summary>
public static partial class RestoreBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int rows = int.Parse(BenchArgs.Option(args, "--rows") ?? "2000000", CultureInfo.InvariantCulture);
        using var cluster = new PostgresCluster();
        var db = cluster.CreateDatabase("benchsrc");
        Console.WriteLine($"generating {rows:N0} rows with 7 indexes (one unique on random keys)...");
        MeasurementsTable.Create(cluster, db, rows);
        cluster.Execute(db, """
            CREATE UNIQUE INDEX measurements_token ON measurements (token);
            CREATE INDEX measurements_device_at ON measurements (device, at);
            CREATE INDEX measurements_at ON measurements (at);
            CREATE INDEX measurements_label ON measurements (label, reading);
            CREATE INDEX measurements_reading ON measurements (reading);
            CREATE INDEX measurements_label_device ON measurements (label, device);
            ANALYZE measurements;
            """);
        var sizes = cluster.Scalar<string>(db, "SELECT pg_size_pretty(pg_table_size('measurements')) || ' heap, ' || pg_size_pretty(pg_indexes_size('measurements')) || ' indexes'");
        Console.WriteLine($"source: {sizes}");
        var dir = Directory.CreateTempSubdirectory("pgphase-bench-").FullName;
        try
        {
            var dump = Path.Combine(dir, "source.dump");
            PgDump.Dump(cluster, db, dump, "-Fc", "-Z0");
            var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(dump));
            // A tar archive: pg_restore reads it front to back in one process, -j refused; pgphase copies each table from its member.
            var tar = Path.Combine(dir, "source.tar");
            PgDump.Dump(cluster, db, tar, "-Ft");
            var tarArchive = await ArchiveReader.ReadAsync(new ArchiveLocation(tar));
            cluster.Execute("postgres", "ALTER SYSTEM SET log_min_duration_statement = 0; SELECT pg_reload_conf();");
            var source = Connection(cluster, db);
            // Each index's sort sized from the source, as `--sizes-from` does.
            var indexSizes = (await IndexSizing.CompleteAsync(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = 1L << 40 },
                new S3Settings(), source, null, default)).IndexEstimates;
            var candidates = PhasePlanner.Plan(archive, new PlanOptions { Strategy = RestoreStrategy.Auto, IndexEstimates = indexSizes, MemoryBudget = 1L << 40 })
                .IndexDecisions.Where(d => d.Late).OrderBy(d => d.SortBytes).ToList();
            long all = candidates.Sum(d => d.SortBytes!.Value);
            long half = candidates.Take((candidates.Count + 1) / 2).Sum(d => d.SortBytes!.Value);

            var measured = new List<(string Name, Measurement M)>
            {
                ("plain pg_restore", MeasurePlain(cluster, dump)),
            };
            foreach (int jobs in new[] { 1, 2, 4 })
                measured.Add(($"PreCreate -j {jobs}", await MeasureAsync(cluster, archive, new PlanOptions(), jobs, $"pre{jobs}")));
            measured.Add(($"Auto all -j 2", await MeasureAsync(cluster, archive,
                new PlanOptions { Strategy = RestoreStrategy.Auto, IndexEstimates = indexSizes, MemoryBudget = all }, 2, "autoall")));
            measured.Add(($"Auto half -j 2", await MeasureAsync(cluster, archive,
                new PlanOptions { Strategy = RestoreStrategy.Auto, IndexEstimates = indexSizes, MemoryBudget = half }, 2, "autohalf")));
            measured.Add(("plain pg_restore, tar", MeasurePlain(cluster, tar)));
            measured.Add(("PreCreate -j 2, tar", await MeasureAsync(cluster, tarArchive, new PlanOptions(), 2, "tarpre2")));
            measured.Add(("Auto all -j 2, tar", await MeasureAsync(cluster, tarArchive,
                new PlanOptions { Strategy = RestoreStrategy.Auto, IndexEstimates = indexSizes, MemoryBudget = all }, 2, "tarautoall")));

            var plain = measured[0].M;
            Console.WriteLine();
            Console.WriteLine($"Auto budgets: all {SizeText.Format(all)} ({candidates.Count} late builds), half {SizeText.Format(half)}");
            Console.WriteLine($"{"variant",-22} {"total s",8} {"vs plain",9} {"temp MB",9} {"longest s",10}  longest statement");
            foreach (var (name, m) in measured)
                Console.WriteLine($"{name,-22} {m.Total.TotalSeconds,8:F1} {m.Total / plain.Total,8:F2}x {m.TempBytes / 1048576.0,9:F1} {m.LongestMs / 1000,10:F1}  {m.LongestStatement}");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed record Measurement(TimeSpan Total, long TempBytes, double LongestMs, string LongestStatement);

    private static PgConnectionInfo Connection(PostgresCluster cluster, string database) =>
        PgConnectionInfo.Parse($"host={cluster.Host} port={cluster.Port} dbname={database}", _ => null).WithCredentials(cluster.User, cluster.Password);

    /// <summary>What operators run without this tool: createdb, then one pg_restore of the whole archive.</summary>
    private static Measurement MeasurePlain(PostgresCluster cluster, string dump)
    {
        const string target = "bench_plain";
        cluster.DropDatabase(target);
        cluster.Execute("postgres", $"CREATE DATABASE {target}");
        long logStart = new FileInfo(cluster.LogFile!).Length;
        Console.WriteLine("restoring with plain pg_restore...");
        var clock = Stopwatch.StartNew();
        ChildProcess.RunChecked(cluster.ClientTool("pg_restore"), ["--no-owner", "-d", target, dump], TimeSpan.FromHours(2), cluster.ClientEnvironment());
        clock.Stop();
        return Finish(cluster, target, logStart, clock.Elapsed);
    }

    private static async Task<Measurement> MeasureAsync(PostgresCluster cluster, DumpArchive archive, PlanOptions planOptions, int jobs, string name)
    {
        var target = $"bench_{name}";
        cluster.DropDatabase(target);
        var plan = PhasePlanner.Plan(archive, planOptions);
        long logStart = new FileInfo(cluster.LogFile!).Length;
        var journal = Path.Combine(Path.GetTempPath(), $"pgphase-bench-{Guid.NewGuid():N}.json");
        Console.WriteLine($"restoring with {planOptions.Strategy}, {jobs} jobs{(planOptions.MemoryBudget is { } b ? $", budget {SizeText.Format(b)}" : "")}...");
        var clock = Stopwatch.StartNew();
        var results = await new PhaseRestorer(new RestoreOptions { Target = Connection(cluster, target), CreateDatabase = true, JournalPath = journal, Jobs = jobs })
            .RunAsync(plan.Phases, default);
        clock.Stop();
        File.Delete(journal);
        if (results.Any(r => r.Status != PhaseStatus.Succeeded))
            throw new InvalidOperationException($"{name} restore failed: {string.Join("; ", results.SelectMany(r => r.Errors))}");
        return Finish(cluster, target, logStart, clock.Elapsed);
    }

    private static Measurement Finish(PostgresCluster cluster, string target, long logStart, TimeSpan elapsed)
    {
        long temp = cluster.Scalar<long>("postgres", $"SELECT temp_bytes FROM pg_stat_database WHERE datname = '{target}'");
        var (longest, statement) = Longest(cluster.LogFile!, logStart, target);
        cluster.DropDatabase(target);
        return new Measurement(elapsed, temp, longest, statement);
    }

    private static (double Ms, string Statement) Longest(string log, long from, string database)
    {
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(from, SeekOrigin.Begin);
        var text = new StreamReader(stream).ReadToEnd();
        double best = 0;
        string statement = "";
        foreach (Match m in Duration().Matches(text))
        {
            if (m.Groups[1].Value != database)
                continue;
            double ms = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (ms > best)
            {
                best = ms;
                statement = m.Groups[3].Value.Length > 60 ? m.Groups[3].Value[..60] + "..." : m.Groups[3].Value;
            }
        }
        return (best, statement);
    }

    [GeneratedRegex(@"^\S+ \S+ \S+ \[\d+\] (\S+) \S+ LOG:  duration: ([\d.]+) ms  statement: (.*)$", RegexOptions.Multiline)]
    private static partial Regex Duration();
}
