using System.CommandLine;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Verification;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>`pgphase verify SOURCE --target CONNINFO [--source-db CONNINFO] [--exact]`: does the target hold what the archive holds?</summary>
internal static class VerifyCommand
{
    public static Command Build()
    {
        var source = new Argument<string>("source") { Description = "Archive the target was restored from" };
        var target = ConnectionOptions.Create("--target", "Restored database (default: DST_PG* then PG* variables)");
        var sourceDb = ConnectionOptions.Create("--source-db", "Source database, for row counts (default: SRC_PG* variables when set)");
        var exact = new Option<bool>("--exact") { Description = "Exact row counts on both sides (default: the source's estimates)" };
        var s3 = new S3Options();
        var command = new Command("verify", "Check a restored database against its archive and, optionally, its source");
        command.Arguments.Add(source);
        command.Options.Add(target);
        command.Options.Add(sourceDb);
        command.Options.Add(exact);
        s3.AddTo(command);
        command.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            var archive = await ArchiveReader.ReadAsync(s3.Location(r, r.GetValue(source)!), ct);
            var srcText = r.GetValue(sourceDb);
            var src = srcText is null && Environment.GetEnvironmentVariable("SRC_DBNAME") is null ? null : ConnectionOptions.Read(srcText, "SRC_", sourceDb);
            var result = await RestoreVerifier.VerifyAsync(archive, ConnectionOptions.Read(r.GetValue(target), "DST_", target), src,
                r.GetValue(exact) ? RowCountMode.Exact : RowCountMode.Estimate, ct);
            Console.WriteLine(result);
            foreach (var d in result.Differences)
                Console.WriteLine($"  {d}");
            foreach (var n in result.Notes)
                Console.WriteLine($"  note: {n}");
            return result.IsMatch ? 0 : CommandRunner.Failed;
        }));
        return command;
    }
}
