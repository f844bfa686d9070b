using PgPhaseRestore.Bench;

// dotnet run -c Release --project bench/PgPhaseRestore.Bench -- <benchmark> [options]
var name = args.FirstOrDefault() ?? "help";
var rest = args.Skip(1).ToArray();
return name switch
{
    "toc" => await TocBenchmark.RunAsync(rest),
    "restore" => await RestoreBenchmark.RunAsync(rest),
    "s3" => await StorageBenchmark.RunAsync(rest),
    "backup" => await BackupBenchmark.RunAsync(rest),
    "builds" => BuildsBenchmark.Run(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("""
        usage: dotnet run -c Release --project bench/PgPhaseRestore.Bench -- <benchmark> [options]

          toc [--archive FILE] [--rows N] [--repeat N] [--pgphase EXE]
              Native TOC read vs `pg_restore -l` on the same custom archive (100+ MB, generated in a
              throwaway cluster unless --archive is given), in process and as whole processes (`pgphase toc
              --list`: the published EXE, default `dotnet pgphase.dll`). Prints the medians and their ratios.

          restore [--rows N] [--jobs N] [--formats custom,directory,tar,backup] [--variants ...] [--split-table-size BYTES] [--repeat N] [--server NAME=VALUE]... [--trace]
              A table whose indexes outweigh it (N rows, default 2,000,000; seven indexes, one unique on random
              keys), dumped by pg_dump as custom, directory and tar archives and backed up by pgphase; each
              restored at equal jobs (default 2) by plain pg_restore -j N, PreCreate, Auto at the target's
              maintenance_work_mem and Auto with a budget that fits every late build, beside the server alone
              copying the same rows (COPY binary, interleaved chunks) from its own files into the same
              pre-created indexes (floor: what PreCreate asks of the server, no client): total time, temp bytes
              written, longest statement, and each one's ratio to pg_restore of the same archive. Every
              target is checked equal to the source (schema, row counts and contents) before it is dropped.
              --repeat N runs every variant N times in turn and reports each one's median run, with every
              run's time; each run starts after a checkpoint, with autovacuum idle. --server sets a server
              setting of the throwaway cluster (shared_buffers=1GB, as a managed instance of this size has).

          builds [--rows N] [--jobs N]
              The restore benchmark's seven index builds on its table (default 3,000,000 rows) under three
              settings: the sort wholly in memory in one process (Auto's late build: no temp byte), the server's
              maintenance_work_mem and parallel workers (what pg_restore builds with), and that memory in one
              process. Seconds per build one at a time, all seven over N sessions (default 2), temp MB.

          s3 [--rows N]
              Backup into s3rver (streamed multipart upload) vs pg_dump to a local file, and the four-phase
              restore from s3rver vs from that file (N rows, default 1,000,000): seconds, MB/s, ratios.

          backup [--rows N] [--rounds N] [--aws PATH]
              `pgphase backup` into s3rver vs the pipeline it replaces, `pg_dump -Fc | aws s3 cp -` (Debian's
              awscli), vs `pg_dump -Fc -f` to a local file: whole processes, default compression, N rows (default
              2,000,000), the median of each over rotating rounds (default 3), and the ratios.
        """);
    return 2;
}
