using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Bench;

/// <summary>
/// A database whose indexes outweigh its table, restored side by side in one run at equal jobs: for each archive a
/// user may hold (plain pg_dump custom, directory and tar files, and a pgphase backup with its manifest), plain
/// pg_restore -j N (what operators use instead; tar cannot run parallel) beside pgphase restore --jobs N with
/// PreCreate, Auto at its default budget (the target's maintenance_work_mem) and Auto with a budget that fits every
/// late build. Auto sizes each sort from the manifest, or from a scan of a plain archive. Prints total time, temp
/// bytes written, the longest statement and each ratio to pg_restore -j N of the same archive.
/// </summary>
public static partial class RestoreBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int rows = int.Parse(BenchArgs.Option(args, "--rows") ?? "2000000", CultureInfo.InvariantCulture);
        int jobs = int.Parse(BenchArgs.Option(args, "--jobs") ?? "2", CultureInfo.InvariantCulture);
        var formats = (BenchArgs.Option(args, "--formats") ?? "custom,directory,tar,backup").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        // plain, precreate, auto (the default budget), auto-fit (a budget every late build fits in).
        var variants = (BenchArgs.Option(args, "--variants") ?? "plain,precreate,auto,auto-fit").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        bool trace = args.Contains("--trace");
        long? split = BenchArgs.Option(args, "--split-table-size") is { } given ? long.Parse(given, CultureInfo.InvariantCulture) : null;
        long fits = 2L << 30;
        using var cluster = new PostgresCluster();
        var db = cluster.CreateDatabase("benchsrc");
        Console.WriteLine($"generating {rows:N0} rows with 7 indexes (one unique on random keys)...");
        MeasurementsTable.Create(cluster, db, rows);
        cluster.Execute(db, string.Join(";\n", MeasurementsTable.Indexes) + ";\nANALYZE measurements;");
        var sizes = cluster.Scalar<string>(db, "SELECT pg_size_pretty(pg_table_size('measurements')) || ' heap, ' || pg_size_pretty(pg_indexes_size('measurements')) || ' indexes'");
        Console.WriteLine($"source: {sizes}");
        var dir = Directory.CreateTempSubdirectory("pgphase-bench-").FullName;
        try
        {
            cluster.Execute("postgres", "ALTER SYSTEM SET log_min_duration_statement = 0; SELECT pg_reload_conf();");
            var archives = new List<(string Name, string Path, bool Parallel)>();
            foreach (var (name, format) in new[] { ("custom", "-Fc"), ("directory", "-Fd"), ("tar", "-Ft") }.Where(f => formats.Contains(f.Item1)))
            {
                var path = System.IO.Path.Combine(dir, "source." + name);
                PgDump.Dump(cluster, db, path, format);
                archives.Add(($"pg_dump {format}", path, format != "-Ft"));
            }
            if (formats.Contains("backup"))
            {
                var backup = await new PgPhaseRestore.Engine.Backup.BackupRunner(new PgPhaseRestore.Engine.Backup.BackupOptions
                {
                    Source = Connection(cluster, db), Destination = System.IO.Path.Combine(dir, "backups") + "/",
                }).RunAsync(default);
                archives.Add(("pgphase backup", backup.Location, true));
            }
            var fingerprint = Contents(cluster, db);

            var table = new List<(string Archive, string Variant, Measurement M, Measurement? Baseline)>();
            foreach (var (name, path, parallel) in archives)
            {
                var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(path));
                int plainJobs = parallel ? jobs : 1;
                var baseline = variants.Contains("plain") ? MeasurePlain(cluster, path, plainJobs, fingerprint) : null;
                if (baseline is not null)
                    table.Add((name, $"pg_restore -j {plainJobs}", baseline, baseline));
                if (variants.Contains("precreate"))
                    table.Add((name, $"PreCreate --jobs {jobs}", await MeasureAsync(cluster, archive, new PlanOptions { Strategy = RestoreStrategy.PreCreate }, jobs, "pre", fingerprint, trace, split), baseline));
                // Auto sizes as a restore does, inside the timing: the manifest beside a backup, or a scan of a plain archive.
                foreach (var (variant, budget) in new[] { ("auto", (long?)null), ("auto-fit", fits) }.Where(v => variants.Contains(v.Item1)))
                {
                    var label = $"Auto --jobs {jobs}, {(budget is null ? "default" : SizeText.Format(budget.Value))} budget";
                    table.Add((name, label, await MeasureAsync(cluster, archive, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = budget }, jobs, "auto", fingerprint, trace, split), baseline));
                }
            }

            Console.WriteLine();
            Console.WriteLine($"{rows:N0} rows, {sizes}; {jobs} jobs; ratios to pg_restore of the same archive");
            Console.WriteLine($"{"archive",-15} {"variant",-34} {"total s",8} {"ratio",7} {"temp MB",9} {"longest s",10}  longest statement");
            foreach (var (name, variant, m, baseline) in table)
            {
                var ratio = baseline is null ? "" : $"{m.Total / baseline.Total:F2}x";
                Console.WriteLine($"{name,-15} {variant,-34} {m.Total.TotalSeconds,8:F1} {ratio,7} {m.TempBytes / 1048576.0,9:F1} {m.LongestMs / 1000,10:F1}  {m.LongestStatement}");
            }
            // Where pgphase's time went: planning (with Auto's sizing) and each phase, the data phase including late builds.
            Console.WriteLine();
            foreach (var (name, variant, m, _) in table.Where(t => t.M.Breakdown.Length > 0))
                Console.WriteLine($"{name,-15} {variant,-34} {m.Breakdown}");
            // The server's own account (its statement log): loading and building, summed over sessions.
            Console.WriteLine();
            foreach (var (name, variant, m, _) in table)
                Console.WriteLine($"{name,-15} {variant,-34} {m.Statements}");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed record Measurement(TimeSpan Total, long TempBytes, double LongestMs, string LongestStatement, string Breakdown = "", string Statements = "");

    private static PgConnectionInfo Connection(PostgresCluster cluster, string database) =>
        PgConnectionInfo.Parse($"host={cluster.Host} port={cluster.Port} dbname={database}", _ => null).WithCredentials(cluster.User, cluster.Password);

    /// <summary>What operators run without this tool: createdb, then one pg_restore of the whole archive.</summary>
    private static Measurement MeasurePlain(PostgresCluster cluster, string dump, int jobs, string fingerprint)
    {
        const string target = "bench_plain";
        cluster.DropDatabase(target);
        cluster.Execute("postgres", $"CREATE DATABASE {target}");
        long logStart = new FileInfo(cluster.LogFile!).Length;
        Console.WriteLine($"restoring {dump} with plain pg_restore -j {jobs}...");
        var clock = Stopwatch.StartNew();
        ChildProcess.RunChecked(cluster.ClientTool("pg_restore"), ["--no-owner", "-j", jobs.ToString(CultureInfo.InvariantCulture), "-d", target, dump],
            TimeSpan.FromHours(2), cluster.ClientEnvironment());
        clock.Stop();
        return Finish(cluster, target, logStart, clock.Elapsed, fingerprint);
    }

    /// <summary>pgphase restore as its hosts run it: one planning call (with Auto's sizing) and the four phases, timed together.</summary>
    private static async Task<Measurement> MeasureAsync(PostgresCluster cluster, DumpArchive archive, PlanOptions planOptions, int jobs, string name, string fingerprint, bool trace,
        long? splitTableSize)
    {
        var target = $"bench_{name}";
        cluster.DropDatabase(target);
        // Created before the clock starts, as for plain pg_restore: both are timed from an empty database.
        cluster.Execute("postgres", $"CREATE DATABASE {target}");
        long logStart = new FileInfo(cluster.LogFile!).Length;
        var journal = Path.Combine(Path.GetTempPath(), $"pgphase-bench-{Guid.NewGuid():N}.json");
        Console.WriteLine($"restoring with {planOptions.Strategy}, {jobs} jobs{(planOptions.MemoryBudget is { } b ? $", budget {SizeText.Format(b)}" : "")}...");
        var options = new RestoreOptions { Target = Connection(cluster, target), JournalPath = journal, Jobs = jobs };
        if (splitTableSize is { } split)
            options = options with { SplitTableSize = split };
        var clock = Stopwatch.StartNew();
        Action<string>? log = trace ? line => Console.Error.WriteLine($"  {clock.Elapsed.TotalSeconds,6:F2} s  {line}") : null;
        var plan = await ArchivePlanning.PlanAsync(archive, planOptions, new S3Settings(), default, options.Target);
        var planned = clock.Elapsed;
        var results = await new PhaseRestorer(options, log: log).RunAsync(plan.Phases, default);
        clock.Stop();
        File.Delete(journal);
        if (results.Any(r => r.Status != PhaseStatus.Succeeded))
            throw new InvalidOperationException($"{name} restore failed: {string.Join("; ", results.SelectMany(r => r.Errors))}");
        if (plan.IndexDecisions.Count > 0)
            Console.WriteLine($"  {plan.IndexDecisions.Count(d => d.Late)} of {plan.IndexDecisions.Count} index builds late");
        var breakdown = string.Create(CultureInfo.InvariantCulture, $"plan {planned.TotalSeconds:F1} s") +
            string.Concat(results.Select(r => string.Create(CultureInfo.InvariantCulture, $", phase {r.Phase} {r.Duration.TotalSeconds:F1} s")));
        return Finish(cluster, target, logStart, clock.Elapsed, fingerprint) with { Breakdown = breakdown };
    }

    /// <summary>Every table's rows and every index's definition: what a restore must reproduce.</summary>
    private static string Contents(PostgresCluster cluster, string database) =>
        string.Join("\n", DatabaseContents.Fingerprint(cluster, database)) + "\n" +
        cluster.Scalar<string>(database, "SELECT string_agg(indexdef, E'\\n' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = 'public'");

    /// <summary>Temp bytes and the longest statement of a restore, then proof that its target equals the source.</summary>
    private static Measurement Finish(PostgresCluster cluster, string target, long logStart, TimeSpan elapsed, string fingerprint)
    {
        // Read before the comparison, whose own sorts write temp files.
        long temp = cluster.Scalar<long>("postgres", $"SELECT temp_bytes FROM pg_stat_database WHERE datname = '{target}'");
        if (Contents(cluster, target) != fingerprint)
            throw new InvalidOperationException($"{target} differs from the source after its restore");
        var (longest, statement, statements) = Longest(cluster.LogFile!, logStart, target);
        cluster.DropDatabase(target);
        return new Measurement(elapsed, temp, longest, statement, Statements: statements);
    }

    private static (double Ms, string Statement, string Statements) Longest(string log, long from, string database)
    {
        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(from, SeekOrigin.Begin);
        var text = new StreamReader(stream).ReadToEnd();
        double best = 0, copy = 0, builds = 0;
        int buildCount = 0;
        string statement = "";
        foreach (Match m in Duration().Matches(text))
        {
            if (m.Groups[1].Value != database)
                continue;
            double ms = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            var sql = m.Groups[3].Value;
            if (sql.StartsWith("COPY ", StringComparison.Ordinal))
                copy += ms;
            if (sql.Contains("CREATE INDEX", StringComparison.Ordinal) || sql.Contains("CREATE UNIQUE INDEX", StringComparison.Ordinal) || sql.Contains("ADD CONSTRAINT", StringComparison.Ordinal))
                (builds, buildCount) = (builds + ms, buildCount + 1);
            if (ms > best)
            {
                best = ms;
                statement = sql.Length > 60 ? sql[..60] + "..." : sql;
            }
        }
        return (best, statement, string.Create(CultureInfo.InvariantCulture, $"COPY {copy / 1000:F1} s; {buildCount} index and constraint statements {builds / 1000:F1} s"));
    }

    [GeneratedRegex(@"^\S+ \S+ \S+ \[\d+\] (\S+) \S+ LOG:  duration: ([\d.]+) ms  statement: (.*)$", RegexOptions.Multiline)]
    private static partial Regex Duration();
}
