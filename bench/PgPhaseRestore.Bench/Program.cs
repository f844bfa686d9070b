using PgPhaseRestore.Bench;

// dotnet run -c Release --project bench/PgPhaseRestore.Bench -- <benchmark> [options]
var name = args.FirstOrDefault() ?? "help";
var rest = args.Skip(1).ToArray();
return name switch
{
    "toc" => await TocBenchmark.RunAsync(rest),
    "restore" => await RestoreBenchmark.RunAsync(rest),
    "s3" => await StorageBenchmark.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.WriteLine("""
        usage: dotnet run -c Release --project bench/PgPhaseRestore.Bench -- <benchmark> [options]

          toc [--archive FILE] [--rows N] [--repeat N]
              Native TOC read vs `pg_restore -l` on the same custom archive (100+ MB, generated in a
              throwaway cluster unless --archive is given). Prints both medians and their ratio.

          restore [--rows N]
              A table whose indexes outweigh it (N rows, default 2,000,000; six indexes, one unique on random
              keys), restored with Standard and with PreCreate: total and per-phase time, temp bytes written,
              longest statement, and the ratios to Standard.

          s3 [--rows N]
              Backup into s3rver (streamed multipart upload) vs pg_dump to a local file, and the four-phase
              restore from s3rver vs from that file (N rows, default 1,000,000): seconds, MB/s, ratios.
        """);
    return 2;
}
