using System.Diagnostics;
using System.Globalization;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Bench;

/// <summary>
/// What one index build costs under the settings a restore can choose, on the restore benchmark's table: the sort
/// held wholly in memory by one process (Auto's late build, the only kind that writes no temp byte), the server's
/// defaults that pg_restore builds with (maintenance_work_mem split over a leader and parallel workers, sorting
/// externally), and the same memory with no workers. It shows where Auto's late builds stand against pg_restore's
/// before any loading or planning is counted.
/// </summary>
public static class BuildsBenchmark
{
    private sealed record Setting(string Name, string Memory, int Workers);

    public static int Run(string[] args)
    {
        int rows = int.Parse(BenchArgs.Option(args, "--rows") ?? "3000000", CultureInfo.InvariantCulture);
        int jobs = Math.Max(1, int.Parse(BenchArgs.Option(args, "--jobs") ?? "2", CultureInfo.InvariantCulture));
        using var cluster = new PostgresCluster();
        var db = cluster.CreateDatabase("benchbuilds");
        Console.WriteLine($"generating {rows:N0} rows...");
        MeasurementsTable.Create(cluster, db, rows);
        cluster.Execute(db, "VACUUM ANALYZE measurements");
        var serverMemory = cluster.Scalar<string>(db, "SHOW maintenance_work_mem")!;
        int serverWorkers = int.Parse(cluster.Scalar<string>(db, "SHOW max_parallel_maintenance_workers")!, CultureInfo.InvariantCulture);
        Setting[] settings =
        [
            new("in memory, 1 process", "1GB", 0),
            // PostgreSQL launches fewer workers than allowed when maintenance_work_mem leaves a participant under 32 MB
            // (one worker at the default 64 MB); the label says what the server's defaults allow.
            new($"{serverMemory}, parallel (max {serverWorkers})", serverMemory, serverWorkers),
            new($"{serverMemory}, 1 process", serverMemory, 0),
        ];
        // The primary key is built as a unique index on its column, as a restore's late build does.
        string[] builds = ["CREATE UNIQUE INDEX measurements_pkey ON measurements (id)", .. MeasurementsTable.Indexes];

        var alone = new double[builds.Length, settings.Length];
        var together = new double[settings.Length];
        var temp = new long[settings.Length];
        for (int s = 0; s < settings.Length; s++)
        {
            Console.WriteLine($"building the {builds.Length} indexes with {settings[s].Name}...");
            long before = TempBytes(cluster, db);
            for (int b = 0; b < builds.Length; b++)
                alone[b, s] = Build(cluster, db, settings[s], builds[b], drop: true).Took.TotalSeconds;
            temp[s] = TempBytes(cluster, db) - before;
            // All of them again, over as many sessions as a restore's jobs: what a restore's build stage takes. They
            // are dropped only after the clock stops: a DROP INDEX waits for every build on the table.
            var queue = new Queue<string>(builds);
            var built = new List<string>();
            var clock = Stopwatch.StartNew();
            var sessions = Enumerable.Range(0, jobs).Select(_ => new Thread(() =>
            {
                while (true)
                {
                    string next;
                    lock (queue)
                        if (!queue.TryDequeue(out next!))
                            return;
                    var name = Build(cluster, db, settings[s], next, drop: false).Name;
                    lock (built)
                        built.Add(name);
                }
            })).ToList();
            sessions.ForEach(t => t.Start());
            sessions.ForEach(t => t.Join());
            clock.Stop();
            cluster.Execute(db, string.Join("; ", built.Select(n => $"DROP INDEX {n}")));
            together[s] = clock.Elapsed.TotalSeconds;
        }

        Console.WriteLine();
        Console.WriteLine($"{rows:N0} rows; seconds per build, one at a time, then all {builds.Length} over {jobs} sessions");
        Console.WriteLine($"{"index",-28}" + string.Concat(settings.Select(s => $" {s.Name,22}")));
        for (int b = 0; b < builds.Length; b++)
            Console.WriteLine($"{NameOf(builds[b]),-28}" + string.Concat(Enumerable.Range(0, settings.Length).Select(s => $" {alone[b, s],22:F2}")));
        Console.WriteLine($"{"one at a time, total",-28}" + string.Concat(Enumerable.Range(0, settings.Length).Select(s => $" {Sum(alone, s),22:F2}")));
        Console.WriteLine($"{$"over {jobs} sessions",-28}" + string.Concat(together.Select(t => $" {t,22:F2}")));
        Console.WriteLine($"{"ratio to pg_restore's",-28}" + string.Concat(together.Select(t => $" {t / together[1],21:F2}x")));
        Console.WriteLine($"{"temp MB, one at a time",-28}" + string.Concat(temp.Select(t => $" {t / 1048576.0,22:F1}")));
        return 0;
    }

    private static string NameOf(string build)
    {
        var words = build.Split(' ');
        return words[Array.IndexOf(words, "INDEX") + 1];
    }

    private static double Sum(double[,] seconds, int setting) => Enumerable.Range(0, seconds.GetLength(0)).Sum(b => seconds[b, setting]);

    /// <summary>One build in a session of its own, timed, then dropped unless the caller drops it later; the session's stats are flushed before it ends.</summary>
    private static (TimeSpan Took, string Name) Build(PostgresCluster cluster, string db, Setting setting, string build, bool drop)
    {
        var name = NameOf(build) + "_" + Guid.NewGuid().ToString("N")[..8];
        var sql = build.Replace(" " + NameOf(build) + " ", " " + name + " ", StringComparison.Ordinal);
        using var connection = cluster.Open(db);
        using (var set = connection.CreateCommand())
        {
            set.CommandText = $"SET maintenance_work_mem = '{setting.Memory}'; SET max_parallel_maintenance_workers = {setting.Workers}";
            set.ExecuteNonQuery();
        }
        var clock = Stopwatch.StartNew();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = sql;
            create.CommandTimeout = 0;
            create.ExecuteNonQuery();
        }
        clock.Stop();
        using (var end = connection.CreateCommand())
        {
            end.CommandText = (drop ? $"DROP INDEX {name}; " : "") + "SELECT pg_stat_force_next_flush()";
            end.ExecuteNonQuery();
        }
        return (clock.Elapsed, name);
    }

    private static long TempBytes(PostgresCluster cluster, string db) =>
        cluster.Scalar<long>("postgres", $"SELECT temp_bytes FROM pg_stat_database WHERE datname = '{db}'");
}
