using System.CommandLine;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Copy;
using PgPhaseRestore.Engine.Restore;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>`pgphase copy --source CONNINFO --to s3://bucket/prefix/ --target CONNINFO`: backup, then four-phase restore of it.</summary>
internal static class CopyCommand
{
    public static Command Build()
    {
        var backup = new BackupOptionsBinder();
        var target = ConnectionOptions.Create("--target", "Target database: libpq string or URI (default: DST_PG*/DST_DBNAME, then PG* variables)");
        var create = new Option<bool>("--create") { Description = "Create the target database if it does not exist (needs CREATEDB)" };
        var noOwner = new Option<bool>("--no-owner", "-O") { Description = "Do not restore object ownership" };
        var jobs = OptionValues.Count("--jobs", "-j", "Parallel jobs for the data phase (default: RESTORE_JOBS or 1)", 1, 1, "RESTORE_JOBS");
        var settings = new Option<string[]>("--set") { Description = "Session setting name=value for the restore's connections (repeatable)" };
        var allowPooler = new Option<bool>("--allow-pooler") { Description = "Go on through a transaction-mode pooler (PgBouncer...), without the one-restore-at-a-time lock" };
        var plan = new PlanOptionsBinder();
        var s3 = new S3Options();
        var output = new OutputOptions();
        var command = new Command("copy", "Back up a database and restore that backup into another database, in four phases");
        // One selection (-n, -N, -t, -T): the plan's, meaning what is copied; the engine derives the dump from it.
        backup.AddTo(command, withSelection: false);
        foreach (var o in new Option[] { target, create, noOwner, jobs, settings, allowPooler })
            command.Options.Add(o);
        plan.AddTo(command);
        s3.AddTo(command);
        output.AddTo(command);
        command.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            var (log, debug, quiet) = output.Read(r);
            var storage = s3.Read(r);
            var planOptions = plan.Read(r);
            var restore = new RestoreOptions
            {
                Target = ConnectionOptions.Read(r.GetValue(target), "DST_", target),
                CreateDatabase = r.GetValue(create),
                NoOwner = r.GetValue(noOwner),
                NoPrivileges = planOptions.SkipPrivileges,
                Jobs = r.GetValue(jobs),
                SessionSettings = RestoreCommand.ParseSettings(r.GetValue(settings) ?? []),
                Storage = storage,
                AllowPooler = r.GetValue(allowPooler),
            };
            var result = await DatabaseCopy.RunAsync(backup.Read(r, storage), planOptions, restore,
                quiet ? null : new CallbackProgress<BackupProgress>(p => Console.Error.WriteLine(p)),
                quiet ? null : new ConsoleRestoreProgress(),
                log, debug, ct);
            Console.WriteLine($"{result.Backup.Location}\t{result.Backup.Size}\t{result.Backup.Sha256}");
            foreach (var phase in result.Phases)
            {
                Console.WriteLine(phase);
                foreach (var error in phase.Errors)
                    Console.WriteLine($"    {error}");
            }
            return result.Succeeded ? 0 : CommandRunner.Failed;
        }, command));
        return command;
    }
}
