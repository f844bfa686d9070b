using System.CommandLine;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Backup;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>`pgphase backup --source CONNINFO --to PATH|s3://bucket/key`: one database, streamed, verified, manifest last.</summary>
internal static class BackupCommand
{
    public static Command Build()
    {
        var backup = new BackupOptionsBinder();
        var s3 = new S3Options();
        var output = new OutputOptions();
        var command = new Command("backup", "Back up one database with pg_dump to a file, a folder or an S3 object, with a manifest");
        backup.AddTo(command);
        s3.AddTo(command);
        output.AddTo(command);
        command.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            var (log, debug, quiet) = output.Read(r);
            var options = backup.Read(r, s3.Read(r));
            var progress = quiet ? null : new CallbackProgress<BackupProgress>(p => Console.Error.WriteLine(p));
            var manifest = await new BackupRunner(options, progress, log, debug).RunAsync(ct);
            Console.WriteLine($"{manifest.Location}\t{manifest.Size}\t{manifest.Sha256}");
            return 0;
        }));
        return command;
    }
}
