using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Tools;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Bench;

/// <summary>
/// A database whose indexes outweigh its table, restored with Standard and with PreCreate in one run: total
/// and per-phase time, temp bytes written, longest statement, and the ratios to Standard.
/// </summary>
public static partial class RestoreBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int rows = int.Parse(Option(args, "--rows") ?? "2000000", CultureInfo.InvariantCulture);
        using var cluster = new PostgresCluster();
        var db = cluster.CreateDatabase("benchsrc");
        Console.WriteLine($"generating {rows:N0} rows with 6 indexes (one unique on random keys)...");
        cluster.Execute(db, $"""
            CREATE TABLE measurements (
              id bigint PRIMARY KEY, device int NOT NULL, at timestamptz NOT NULL, reading double precision NOT NULL,
              token uuid NOT NULL, label text NOT NULL);
            INSERT INTO measurements
              SELECT g, g % 5000, timestamptz '2024-01-01' + g * interval '1 second', random() * 100,
                     md5(random()::text || g)::uuid, 'sensor-' || (g % 997)
              FROM generate_series(1, {rows}) g;
            CREATE UNIQUE INDEX measurements_token ON measurements (token);
            CREATE INDEX measurements_device_at ON measurements (device, at);
            CREATE INDEX measurements_at ON measurements (at);
            CREATE INDEX measurements_label ON measurements (label, reading);
            CREATE INDEX measurements_reading ON measurements (reading);
            """);
        var sizes = cluster.Scalar<string>(db, "SELECT pg_size_pretty(pg_table_size('measurements')) || ' heap, ' || pg_size_pretty(pg_indexes_size('measurements')) || ' indexes'");
        Console.WriteLine($"source: {sizes}");
        var dir = Directory.CreateTempSubdirectory("pgphase-bench-").FullName;
        try
        {
            var dump = Path.Combine(dir, "source.dump");
            PgDump.Dump(cluster, db, dump, "-Fc", "-Z0");
            var archive = await ArchiveReader.ReadAsync(dump, null);
            cluster.Execute("postgres", "ALTER SYSTEM SET log_min_duration_statement = 0; SELECT pg_reload_conf();");

            var measured = new Dictionary<RestoreStrategy, Measurement>();
            foreach (var strategy in new[] { RestoreStrategy.Standard, RestoreStrategy.PreCreate })
                measured[strategy] = await MeasureAsync(cluster, archive, strategy);

            var std = measured[RestoreStrategy.Standard];
            Console.WriteLine();
            Console.WriteLine($"{"strategy",-10} {"total s",9} {"phase 1",8} {"phase 2",8} {"phase 3",8} {"phase 4",8} {"temp MB",9} {"longest s",10}  longest statement");
            foreach (var (strategy, m) in measured)
            {
                Console.WriteLine($"{strategy,-10} {m.Total.TotalSeconds,9:F1} {m.Phases[0],8:F1} {m.Phases[1],8:F1} {m.Phases[2],8:F1} {m.Phases[3],8:F1} {m.TempBytes / 1048576.0,9:F1} {m.LongestMs / 1000,10:F1}  {m.LongestStatement}");
            }
            var pre = measured[RestoreStrategy.PreCreate];
            Console.WriteLine();
            Console.WriteLine($"ratio PreCreate/Standard: total {pre.Total / std.Total:F2}x, temp bytes {(std.TempBytes == 0 ? 0 : (double)pre.TempBytes / std.TempBytes):F2}x, longest statement {pre.LongestMs / std.LongestMs:F2}x");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed record Measurement(TimeSpan Total, double[] Phases, long TempBytes, double LongestMs, string LongestStatement);

    private static async Task<Measurement> MeasureAsync(PostgresCluster cluster, DumpArchive archive, RestoreStrategy strategy)
    {
        var target = $"bench_{strategy.ToString().ToLowerInvariant()}";
        cluster.DropDatabase(target);
        var info = PgConnectionInfo.Parse($"host={cluster.Host} port={cluster.Port} dbname={target}", _ => null).WithCredentials(cluster.User, cluster.Password);
        var plan = PhasePlanner.Plan(archive, new PlanOptions { Strategy = strategy });
        long logStart = new FileInfo(cluster.LogFile!).Length;
        var journal = Path.Combine(Path.GetTempPath(), $"pgphase-bench-{Guid.NewGuid():N}.json");
        Console.WriteLine($"restoring with {strategy}...");
        var clock = Stopwatch.StartNew();
        var results = await new PhaseRestorer(new RestoreOptions { Target = info, CreateDatabase = true, JournalPath = journal }).RunAsync(plan.Phases, default);
        clock.Stop();
        File.Delete(journal);
        if (results.Any(r => r.Status != PhaseStatus.Succeeded))
            throw new InvalidOperationException($"{strategy} restore failed: {string.Join("; ", results.SelectMany(r => r.Errors))}");
        long temp = cluster.Scalar<long>("postgres", $"SELECT temp_bytes FROM pg_stat_database WHERE datname = '{target}'");
        var (longest, statement) = Longest(cluster.LogFile!, logStart, target);
        return new Measurement(clock.Elapsed, results.Select(r => r.Duration.TotalSeconds).ToArray(), temp, longest, statement);
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

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
