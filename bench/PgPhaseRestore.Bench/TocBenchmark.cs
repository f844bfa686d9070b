using System.Diagnostics;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.TestRigs;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Bench;

/// <summary>Time to read the TOC of a large custom archive: the engine's reader against `pg_restore -l`.</summary>
public static class TocBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? archive = BenchArgs.Option(args, "--archive");
        int rows = int.Parse(BenchArgs.Option(args, "--rows") ?? "1200000");
        int repeat = int.Parse(BenchArgs.Option(args, "--repeat") ?? "15");
        string pgRestore = ChildProcess.OnPath("pg_restore") ?? "/usr/bin/pg_restore";
        PostgresCluster? cluster = null;
        string? tempDir = null;
        try
        {
            if (archive is null)
            {
                cluster = new PostgresCluster();
                pgRestore = cluster.ClientTool("pg_restore");
                var db = cluster.CreateDatabase("benchtoc");
                Console.WriteLine($"generating {rows:N0} rows and 300 tables...");
                cluster.Execute(db, $"""
                    CREATE TABLE big AS SELECT g AS id, md5(g::text) AS a, md5((g * 3)::text) AS b, now() AS at FROM generate_series(1, {rows}) g;
                    CREATE INDEX ON big (a); CREATE INDEX ON big (b);
                    DO $$ BEGIN FOR i IN 1..300 LOOP
                      EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, v text); CREATE INDEX ON t%s (v); COMMENT ON TABLE t%s IS %L', i, i, i, 'table ' || i);
                    END LOOP; END $$;
                    """);
                tempDir = Directory.CreateTempSubdirectory("pgphase-bench-").FullName;
                archive = Path.Combine(tempDir, "big.dump");
                PgDump.Dump(cluster, db, archive, "-Fc", "-Z0");
            }

            var size = new FileInfo(archive).Length;
            Console.WriteLine($"archive: {archive} ({size / 1024.0 / 1024.0:F1} MiB)");

            // Warm both paths once (JIT, page cache), then time them alternately.
            var entries = (await ReadNative(archive)).Entries.Count;
            ChildProcess.RunChecked(pgRestore, ["-l", archive], TimeSpan.FromMinutes(5));
            var native = new List<double>();
            var reference = new List<double>();
            for (int i = 0; i < repeat; i++)
            {
                var sw = Stopwatch.StartNew();
                await ReadNative(archive);
                native.Add(sw.Elapsed.TotalMilliseconds);
                sw.Restart();
                ChildProcess.RunChecked(pgRestore, ["-l", archive], TimeSpan.FromMinutes(5));
                reference.Add(sw.Elapsed.TotalMilliseconds);
            }

            // Whole processes, as a loop over many archives runs them: start-up included. Beside the pg_restore binary
            // itself, the `pg_restore` a shell finds on PATH, which on Debian and Ubuntu is a wrapper picking the version.
            string[] pgphase = BenchArgs.Option(args, "--pgphase") is { } published ? [published] : ["dotnet", Path.Combine(AppContext.BaseDirectory, "pgphase.dll")];
            var onPath = ChildProcess.OnPath("pg_restore");
            var wrapper = onPath is not null && Path.GetFullPath(onPath) != Path.GetFullPath(pgRestore) ? onPath : null;
            ChildProcess.RunChecked(pgphase[0], [.. pgphase[1..], "toc", archive, "--list"], TimeSpan.FromMinutes(5));
            var process = new List<double>();
            var referenceProcess = new List<double>();
            var wrapperProcess = new List<double>();
            for (int i = 0; i < repeat; i++)
            {
                process.Add(Time(pgphase[0], [.. pgphase[1..], "toc", archive, "--list"]));
                referenceProcess.Add(Time(pgRestore, ["-l", archive]));
                if (wrapper is not null)
                    wrapperProcess.Add(Time(wrapper, ["-l", archive]));
            }

            double nativeMedian = BenchArgs.Median(native), referenceMedian = BenchArgs.Median(reference);
            double processMedian = BenchArgs.Median(process), referenceProcessMedian = BenchArgs.Median(referenceProcess);
            Console.WriteLine($"TOC entries:          {entries}");
            Console.WriteLine($"native reader:        {nativeMedian,9:F2} ms (median of {repeat})");
            Console.WriteLine($"pg_restore -l:        {referenceMedian,9:F2} ms (median of {repeat})");
            Console.WriteLine($"ratio pg_restore/native: {referenceMedian / nativeMedian:F2}x");
            Console.WriteLine($"whole process, {string.Join(' ', pgphase.Select(Path.GetFileName))} toc --list: {processMedian:F1} ms; {pgRestore} -l: {referenceProcessMedian:F1} ms; " +
                              $"ratio pgphase/pg_restore: {processMedian / referenceProcessMedian:F2}x");
            if (wrapper is not null)
                Console.WriteLine($"whole process, `pg_restore -l` as the shell finds it ({wrapper}, a wrapper): {BenchArgs.Median(wrapperProcess):F1} ms; " +
                                  $"ratio pgphase/pg_restore: {processMedian / BenchArgs.Median(wrapperProcess):F2}x");
            return 0;
        }
        finally
        {
            cluster?.Dispose();
            if (tempDir is not null)
                Directory.Delete(tempDir, recursive: true);
        }
    }

    private static double Time(string program, string[] arguments)
    {
        var sw = Stopwatch.StartNew();
        ChildProcess.RunChecked(program, arguments, TimeSpan.FromMinutes(5));
        return sw.Elapsed.TotalMilliseconds;
    }

    private static Task<DumpArchive> ReadNative(string path) => ArchiveReader.ReadAsync(new ArchiveLocation(path));
}
