using System.CommandLine;
using PgPhaseRestore.Engine.Backup;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>`pgphase backups LOCATION [--database NAME]`: complete backups under a prefix or folder, newest first.</summary>
internal static class BackupsCommand
{
    public static Command Build()
    {
        var location = new Argument<string>("location") { Description = "s3://bucket/prefix or a local folder" };
        var database = new Option<string?>("--database") { Description = "Only backups of this database" };
        var latest = new Option<bool>("--latest") { Description = "Print only the newest backup's location of each database (as Get-PgBackup -Latest)" };
        var s3 = new S3Options();
        var command = new Command("backups", "List the complete backups (those with a manifest) under a prefix or folder, newest first");
        command.Arguments.Add(location);
        command.Options.Add(database);
        command.Options.Add(latest);
        s3.AddTo(command);
        command.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            // A manifest that marks no complete backup is named on stderr; the others are still listed.
            var found = await BackupCatalog.ListAsync(s3.Location(r, r.GetValue(location)!), r.GetValue(database),
                (_, why) => Console.Error.WriteLine($"pgphase: warning: {why.Message}"), ct);
            if (r.GetValue(latest))
            {
                if (found.Count == 0)
                    throw new NothingFoundException($"no complete backup under {r.GetValue(location)}");
                foreach (var newest in found.GroupBy(b => b.Database).Select(g => g.First()))
                    Console.WriteLine(newest.Location);
                return 0;
            }
            Console.WriteLine("completed\tdatabase\tsize\tlocation");
            foreach (var m in found)
                Console.WriteLine($"{m.CompletedAt:u}\t{m.Database}\t{Engine.Storage.SizeText.Format(m.Size)}\t{m.Location}");
            return 0;
        }));
        return command;
    }
}
