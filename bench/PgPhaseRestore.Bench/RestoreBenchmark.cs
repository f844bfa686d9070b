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
/// bytes written, the longest statement and each ratio to pg_restore -j N of the same archive. With --repeat N every
/// variant runs N times, in turn with the others, and the median run is the one reported. Before each timed run the
/// server is checkpointed and autovacuum left to finish, so no run pays for the writes of the one before it.
/// </summary>
public static partial class RestoreBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int rows = int.Parse(BenchArgs.Option(args, "--rows") ?? "2000000", CultureInfo.InvariantCulture);
        int jobs = int.Parse(BenchArgs.Option(args, "--jobs") ?? "2", CultureInfo.InvariantCulture);
        var formats = (BenchArgs.Option(args, "--formats") ?? "custom,directory,tar,backup").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        // plain, precreate, auto (the default budget), auto-fit (a budget every late build fits in), and floor: the
        // server alone copying the same rows, as COPY binary in the same interleaved chunks, from its own files into
        // the same pre-created indexes: what PreCreate asks of the server, with no client in the way.
        var variants = (BenchArgs.Option(args, "--variants") ?? "plain,precreate,auto,auto-fit,floor").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        bool trace = args.Contains("--trace");
        long? split = BenchArgs.Option(args, "--split-table-size") is { } given ? long.Parse(given, CultureInfo.InvariantCulture) : null;
        int repeat = Math.Max(1, int.Parse(BenchArgs.Option(args, "--repeat") ?? "1", CultureInfo.InvariantCulture));
        long fits = 2L << 30;
        // Server settings as a managed instance of this size would have them (shared_buffers=1GB, say): printed with the results.
        var server = new Dictionary<string, string>();
        foreach (var kv in BenchArgs.All(args, "--server").Select(kv => kv.Split('=', 2)))
            server[kv[0]] = kv.Length > 1 ? kv[1] : "";
        using var cluster = PostgresCluster.Start(new PostgresClusterOptions { Settings = server });
        var db = cluster.CreateDatabase("benchsrc");
        Console.WriteLine($"generating {rows:N0} rows with 7 indexes (one unique on random keys)...");
        MeasurementsTable.Create(cluster, db, rows);
        cluster.Execute(db, string.Join(";\n", MeasurementsTable.Indexes));
        // Frozen and analyzed now: autovacuum has nothing left to do on the source while restores are timed.
        cluster.Execute(db, "VACUUM (FREEZE, ANALYZE) measurements");
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
                    Source = cluster.ConnectionTo(db), Destination = System.IO.Path.Combine(dir, "backups") + "/",
                }).RunAsync(default);
                archives.Add(("pgphase backup", backup.Location, true));
            }
            var fingerprint = Contents(cluster, db);
            var floorFiles = variants.Contains("floor") ? ServerCopyFiles(cluster, db, jobs) : [];

            var table = new List<(string Archive, string Variant, List<Measurement> Runs, List<Measurement>? Baseline)>();
            foreach (var (name, path, parallel) in archives)
            {
                var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(path));
                int plainJobs = parallel ? jobs : 1;
                // Auto sizes as a restore does, inside the timing: the manifest beside a backup, or a scan of a plain archive.
                var runs = new List<(string Label, Func<Task<Measurement>> Measure)>();
                if (variants.Contains("plain"))
                    runs.Add(($"pg_restore -j {plainJobs}", () => Task.FromResult(MeasurePlain(cluster, path, plainJobs, fingerprint))));
                if (variants.Contains("precreate"))
                    runs.Add(($"PreCreate --jobs {jobs}", () => MeasureAsync(cluster, archive, new PlanOptions { Strategy = RestoreStrategy.PreCreate }, jobs, "pre", fingerprint, trace, split)));
                foreach (var (variant, budget) in new[] { ("auto", (long?)null), ("auto-fit", fits) }.Where(v => variants.Contains(v.Item1)))
                {
                    var label = $"Auto --jobs {jobs}, {(budget is null ? "default" : SizeText.Format(budget.Value))} budget";
                    runs.Add((label, () => MeasureAsync(cluster, archive, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = budget }, jobs, "auto", fingerprint, trace, split)));
                }
                // The server alone does not depend on the archive's format: measured beside the first one only.
                if (variants.Contains("floor") && path == archives[0].Path)
                    runs.Add(($"server alone, indexes first, {jobs} sess.", () => Task.FromResult(MeasureFloor(cluster, path, floorFiles, fingerprint))));
                var measured = runs.Select(_ => new List<Measurement>()).ToList();
                for (int r = 0; r < repeat; r++)
                {
                    for (int v = 0; v < runs.Count; v++)
                    {
                        Quiesce(cluster);
                        measured[v].Add(await runs[v].Measure());
                    }
                }
                var baseline = variants.Contains("plain") ? measured[0] : null;
                table.AddRange(runs.Select((run, v) => (name, run.Label, measured[v], baseline)));
            }

            Console.WriteLine();
            Console.WriteLine($"server: {cluster.Scalar<string>("postgres", "SELECT version()")!.Split(" on ")[0]}, shared_buffers {cluster.Scalar<string>("postgres", "SHOW shared_buffers")}, maintenance_work_mem {cluster.Scalar<string>("postgres", "SHOW maintenance_work_mem")}, full_page_writes {cluster.Scalar<string>("postgres", "SHOW full_page_writes")}" + string.Concat(server.Select(kv => $", {kv.Key}={kv.Value}")));
            Console.WriteLine($"{rows:N0} rows, {sizes}; {jobs} jobs; ratios to pg_restore of the same archive" + (repeat > 1 ? $"; medians of {repeat} runs" : ""));
            // Temp bytes are the most any run wrote: one spill is enough to matter.
            Console.WriteLine($"{"archive",-15} {"variant",-34} {"total s",8} {"ratio",7} {"temp MB",9} {"longest s",10}  longest statement");
            foreach (var (name, variant, runs, baseline) in table)
            {
                var m = MedianRun(runs);
                var ratio = baseline is null ? "" : $"{m.Total / MedianRun(baseline).Total:F2}x";
                Console.WriteLine($"{name,-15} {variant,-34} {m.Total.TotalSeconds,8:F1} {ratio,7} {runs.Max(r => r.TempBytes) / 1048576.0,9:F1} {m.LongestMs / 1000,10:F1}  {m.LongestStatement}");
            }
            if (repeat > 1)
            {
                // Every run, in the order it ran: how far apart runs of one variant are on this machine.
                Console.WriteLine();
                foreach (var (name, variant, runs, _) in table)
                    Console.WriteLine($"{name,-15} {variant,-34} runs {string.Join(", ", runs.Select(r => r.Total.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)))} s");
            }
            // Where pgphase's time went (in the median run): planning (with Auto's sizing) and each phase, the data phase including late builds.
            Console.WriteLine();
            foreach (var (name, variant, runs, _) in table.Where(t => t.Runs[0].Breakdown.Length > 0))
                Console.WriteLine($"{name,-15} {variant,-34} {MedianRun(runs).Breakdown}");
            // The server's own account (its statement log and WAL counters): loading and building, summed over sessions.
            Console.WriteLine();
            foreach (var (name, variant, runs, _) in table)
            {
                var m = MedianRun(runs);
                Console.WriteLine($"{name,-15} {variant,-34} {m.Statements}; WAL {m.WalBytes / 1048576.0:F0} MB, {m.WalFpi:N0} full-page images");
            }
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed record Measurement(TimeSpan Total, long TempBytes, double LongestMs, string LongestStatement, string Breakdown = "", string Statements = "",
        long WalBytes = 0, long WalFpi = 0);

    /// <summary>
    /// Where a run starts: the server log's length (its statements follow) and the cluster's WAL counters, whose growth
    /// is what the run wrote (runs go one at a time, after a checkpoint, with autovacuum idle).
    /// </summary>
    private sealed record Mark(long LogOffset, long WalBytes, long WalFpi)
    {
        public static Mark Take(PostgresCluster cluster)
        {
            var (bytes, fpi) = Wal(cluster);
            return new Mark(new FileInfo(cluster.LogFile!).Length, bytes, fpi);
        }

        public (long Bytes, long Fpi) WalSince(PostgresCluster cluster)
        {
            var (bytes, fpi) = Wal(cluster);
            return (bytes - WalBytes, fpi - WalFpi);
        }

        // Bytes from the WAL position, exact; full-page images from the counters, which each backend adds as it ends.
        private static (long Bytes, long Fpi) Wal(PostgresCluster cluster) =>
            (cluster.Scalar<long>("postgres", "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"), cluster.Scalar<long>("postgres", "SELECT wal_fpi FROM pg_stat_wal"));
    }

    /// <summary>The run whose total is the median (the lower middle of an even count): its details are reported with it.</summary>
    private static Measurement MedianRun(List<Measurement> runs) => runs.OrderBy(r => r.Total).ElementAt((runs.Count - 1) / 2);

    /// <summary>
    /// Outside the clock: the dirty buffers of the last run written out, and autovacuum done with its tables, so the
    /// next run shares the machine with nothing the runs before it left behind.
    /// </summary>
    private static void Quiesce(PostgresCluster cluster)
    {
        var until = Stopwatch.StartNew();
        while (cluster.Scalar<long>("postgres", "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'") > 0 && until.Elapsed < TimeSpan.FromMinutes(2))
            Thread.Sleep(200);
        cluster.Execute("postgres", "CHECKPOINT");
    }

    /// <summary>What operators run without this tool: createdb, then one pg_restore of the whole archive.</summary>
    private static Measurement MeasurePlain(PostgresCluster cluster, string dump, int jobs, string fingerprint)
    {
        const string target = "bench_plain";
        cluster.DropDatabase(target);
        cluster.Execute("postgres", $"CREATE DATABASE {target}");
        var start = Mark.Take(cluster);
        Console.WriteLine($"restoring {dump} with plain pg_restore -j {jobs}...");
        var clock = Stopwatch.StartNew();
        ChildProcess.RunChecked(cluster.ClientTool("pg_restore"), ["--no-owner", "-j", jobs.ToString(CultureInfo.InvariantCulture), "-d", target, dump],
            TimeSpan.FromHours(2), cluster.ClientEnvironment());
        clock.Stop();
        return Finish(cluster, target, start, clock.Elapsed, fingerprint);
    }

    /// <summary>
    /// The source's rows in one file per session, written by the server into its own data directory (removed with the
    /// cluster) as COPY binary, which is what PreCreate sends. As a split load hands the archive's 512 KB chunks to
    /// whichever session is free, the files take chunks of about as many rows in turn, so both sessions insert near
    /// the same end of every index that follows the load order.
    /// </summary>
    private static List<string> ServerCopyFiles(PostgresCluster cluster, string source, int sessions)
    {
        const int chunkRows = 5000;
        var files = new List<string>();
        var data = cluster.Scalar<string>("postgres", "SHOW data_directory")!;
        for (int i = 0; i < sessions; i++)
        {
            var file = Path.Combine(data, $"pgphase-bench-floor-{i}.copy");
            cluster.Execute(source, $"COPY (SELECT * FROM measurements WHERE ((id - 1) / {chunkRows}) % {sessions} = {i} ORDER BY id) TO '{file}' WITH (FORMAT binary)");
            files.Add(file);
        }
        return files;
    }

    /// <summary>
    /// What PreCreate asks of the server, done by the server alone: the schema and every index restored on the empty
    /// table outside the clock, then one COPY FROM a server file per session, at once, with no client reading,
    /// sending or converting a row. A restore that maintains the same indexes row by row can come near this, not far below it.
    /// </summary>
    private static Measurement MeasureFloor(PostgresCluster cluster, string dump, List<string> files, string fingerprint)
    {
        const string target = "bench_floor";
        cluster.DropDatabase(target);
        cluster.Execute("postgres", $"CREATE DATABASE {target}");
        foreach (var section in new[] { "pre-data", "post-data" })
            ChildProcess.RunChecked(cluster.ClientTool("pg_restore"), ["--no-owner", "--section", section, "-d", target, dump], TimeSpan.FromMinutes(10), cluster.ClientEnvironment());
        cluster.Execute("postgres", "CHECKPOINT");
        var start = Mark.Take(cluster);
        Console.WriteLine($"copying the rows server-side into the pre-created indexes, {files.Count} sessions...");
        var clock = Stopwatch.StartNew();
        Task.WaitAll(files.Select(file => Task.Run(() => cluster.Execute(target, $"COPY measurements FROM '{file}' WITH (FORMAT binary)"))).ToArray());
        clock.Stop();
        return Finish(cluster, target, start, clock.Elapsed, fingerprint);
    }

    /// <summary>pgphase restore as its hosts run it: one planning call (with Auto's sizing) and the four phases, timed together.</summary>
    private static async Task<Measurement> MeasureAsync(PostgresCluster cluster, DumpArchive archive, PlanOptions planOptions, int jobs, string name, string fingerprint, bool trace,
        long? splitTableSize)
    {
        var target = $"bench_{name}";
        cluster.DropDatabase(target);
        // Created before the clock starts, as for plain pg_restore: both are timed from an empty database.
        cluster.Execute("postgres", $"CREATE DATABASE {target}");
        var start = Mark.Take(cluster);
        var journal = Path.Combine(Path.GetTempPath(), $"pgphase-bench-{Guid.NewGuid():N}.json");
        Console.WriteLine($"restoring with {planOptions.Strategy}, {jobs} jobs{(planOptions.MemoryBudget is { } b ? $", budget {SizeText.Format(b)}" : "")}...");
        var options = new RestoreOptions { Target = cluster.ConnectionTo(target), JournalPath = journal, Jobs = jobs };
        if (splitTableSize is { } split)
            options = options with { SplitTableSize = split };
        var clock = Stopwatch.StartNew();
        Action<string>? log = trace ? line => Console.Error.WriteLine($"  {clock.Elapsed.TotalSeconds,6:F2} s  {line}") : null;
        // As a restore plans: big tables sized provisionally, confirmed as their rows load.
        var plan = await ArchivePlanning.PlanAsync(archive, planOptions with { SizeWhileLoading = true }, new S3Settings(), default, options.Target, log: log);
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
        return Finish(cluster, target, start, clock.Elapsed, fingerprint) with { Breakdown = breakdown };
    }

    /// <summary>Every table's rows and every index's definition: what a restore must reproduce.</summary>
    private static string Contents(PostgresCluster cluster, string database) =>
        string.Join("\n", DatabaseContents.Fingerprint(cluster, database)) + "\n" +
        cluster.Scalar<string>(database, "SELECT string_agg(indexdef, E'\\n' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = 'public'");

    /// <summary>Temp bytes and the longest statement of a restore, then proof that its target equals the source.</summary>
    private static Measurement Finish(PostgresCluster cluster, string target, Mark start, TimeSpan elapsed, string fingerprint)
    {
        var (walBytes, walFpi) = start.WalSince(cluster);
        long logStart = start.LogOffset;
        // Read before the comparison, whose own sorts write temp files and whose queries would join the statement log.
        long temp = cluster.Scalar<long>("postgres", $"SELECT temp_bytes FROM pg_stat_database WHERE datname = '{target}'");
        var (longest, statement, statements) = Longest(cluster.LogFile!, logStart, target);
        if (Contents(cluster, target) != fingerprint)
            throw new InvalidOperationException($"{target} differs from the source after its restore");
        cluster.DropDatabase(target);
        return new Measurement(elapsed, temp, longest, statement, Statements: statements, WalBytes: walBytes, WalFpi: walFpi);
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
                var flat = sql.ReplaceLineEndings(" ").Replace('\t', ' ');
                statement = flat.Length > 60 ? flat[..60] + "..." : flat;
            }
        }
        // An index build that waits for autovacuum's lock on its table cancels it after deadlock_timeout: time lost.
        int cancelled = AutovacuumCancelled().Matches(text).Count(m => m.Groups[2].Value.StartsWith(database + ".", StringComparison.Ordinal));
        return (best, statement, string.Create(CultureInfo.InvariantCulture, $"COPY {copy / 1000:F1} s; {buildCount} index and constraint statements {builds / 1000:F1} s; autovacuum cancelled {cancelled} times"));
    }

    // Simple statements and those of the extended protocol (pgphase's own sessions), with their continuation lines.
    [GeneratedRegex(@"^\S+ \S+ \S+ \[\d+\] (\S+) \S+ LOG:  duration: ([\d.]+) ms  (?:statement|execute [^:\n]*): (.*(?:\n\t.*)*)$", RegexOptions.Multiline)]
    private static partial Regex Duration();

    // The ERROR line, then its CONTEXT: "automatic vacuum of table ..." at once, or on a tab-indented line after
    // "while scanning block N of relation ..." when a vacuum was cancelled mid-scan.
    [GeneratedRegex(@"ERROR:  canceling autovacuum task\n(\S+ \S+ \S+ \[\d+\] \S* \S* )?CONTEXT:  (?:[^\n]*\n\t)?automatic (?:vacuum|analyze) of table ""([^""]+)""")]
    private static partial Regex AutovacuumCancelled();
}
