using System.CommandLine;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>`pgphase restore SOURCE --target CONNINFO [--phase N]...`: runs the four phases (or the ones chosen).</summary>
internal static class RestoreCommand
{
    public static Command Build()
    {
        var source = new Argument<string>("source") { Description = "Archive: file, directory-format folder, or s3://bucket/key; a prefix ending in / takes the key a backup wrote there for SRC_DBNAME (BACKUP_NAME, else the newest)" };
        var backupName = new Option<string?>("--name") { Description = "With a prefix: the backup's name, as given to backup (default: BACKUP_NAME, else the newest backup)" };
        var skipChecks = new Option<bool>("--skip-checks") { Description = "Skip the archive's checks before anything is restored: its size against its manifest, and whether a local archive holds the data restored" };
        var target = ConnectionOptions.Create("--target", "Target database: libpq string or URI (default: DST_PG*/DST_DBNAME, then PG* variables)");
        var phases = OptionValues.Numbers("--phase", "Run only this phase (1 schema, 2 indexes, 3 data, 4 post-data); repeatable", 1, 4);
        var create = new Option<bool>("--create") { Description = "Create the target database if it does not exist (needs CREATEDB)" };
        var nonEmpty = new Option<bool>("--allow-non-empty") { Description = "Run phase 1 into a database that already has objects" };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted restore from its first unfinished step" };
        var force = new Option<bool>("--force") { Description = "Run phases again that already completed (with --replace: end the live database's sessions at the swap)" };
        var noOwner = new Option<bool>("--no-owner", "-O") { Description = "Do not restore object ownership" };
        var role = new Option<string?>("--role") { Description = "SET ROLE before restoring" };
        var jobs = OptionValues.Count("--jobs", "-j", "Parallel jobs for the data phase (default: RESTORE_JOBS or 1)", 1, 1, "RESTORE_JOBS");
        var settings = new Option<string[]>("--set") { Description = "Session setting name=value for every pg_restore connection, e.g. synchronous_commit=off (repeatable)" };
        var keepGoing = new Option<bool>("--continue-on-error") { Description = "Do not stop at the first error; report them all" };
        var journal = new Option<string?>("--journal") { Description = "Journal file (default: one per target under PGPHASE_JOURNAL_DIR or ~/.local/share/pgphase/journals)" };
        var pgRestore = new Option<string?>("--pg-restore") { Description = "pg_restore to use: file or bin folder" };
        // Checked while parsing: a missing folder would otherwise fail only after the target was created.
        var lists = new Option<string?>("--keep-lists") { Description = "Keep the list files in this existing folder" }.ExistingFolder();
        var stopStale = new Option<bool>("--stop-stale-sessions") { Description = "Stop the sessions a killed earlier run left working on the target, instead of waiting for them to end" };
        var splitSize = new Option<string?>("--split-table-size") { Description = "With --jobs, a table whose data is at least this size (as stored, e.g. 32MB, the default; 0 never) loads over all the jobs' sessions at once, unless Auto builds every index of it after its data" };
        var allowPooler = new Option<bool>("--allow-pooler") { Description = "Go on through a transaction-mode pooler (PgBouncer...), without the one-restore-at-a-time lock" };
        var sizesFrom = ConnectionOptions.Create("--sizes-from", "Auto: read index sizes from this source database when the archive has no manifest (libpq string or URI)");
        var replace = new Option<bool>("--replace") { Description = "Restore beside the target database, verify against the archive, then swap: the target moves to <name>__before_<UTC time>; with --force its sessions are ended at the swap" };
        var sideDatabase = new Option<string?>("--side-database") { Description = "With --replace: the database to restore into first (default: <name>__pgphase_<UTC time>)" };
        var aside = new Option<string?>("--aside") { Description = "With --replace: the name the live database moves to at the swap (default: <name>__before_<UTC time>)" };
        var skipRowCounts = new Option<bool>("--skip-row-counts") { Description = "With --replace: verify without counting each table's rows in the archive" };
        var useList = new Option<string[]>("--use-list", "-L") { Description = "Restore only the entries this edited list file keeps (from plan --out or toc --list; a line removed or commented out with ';' is not restored), in the plan's order; phases it lists nothing of are not run (repeatable)" };
        var plan = new PlanOptionsBinder();
        var s3 = new S3Options();
        var output = new OutputOptions();

        var command = new Command("restore", "Four-phase restore of an archive into a database");
        command.Arguments.Add(source);
        foreach (var o in new Option[] { target, phases, create, nonEmpty, resume, force, noOwner, role, jobs, settings, keepGoing, journal, pgRestore, lists, stopStale, allowPooler, splitSize, sizesFrom, replace, sideDatabase, aside, skipRowCounts, useList, backupName, skipChecks })
            command.Options.Add(o);
        plan.AddTo(command);
        s3.AddTo(command);
        output.AddTo(command);

        command.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            var planOptions = plan.Read(r);
            var targetInfo = ConnectionOptions.Read(r.GetValue(target), "DST_", target);
            var from = r.GetValue(sizesFrom) is { } conninfo ? ConnectionOptions.Read(conninfo, "SRC_", sizesFrom) : null;
            var storage = s3.Read(r);
            var options = new RestoreOptions
            {
                Target = targetInfo,
                Phases = r.GetValue(phases) ?? [],
                CreateDatabase = r.GetValue(create),
                AllowNonEmptyTarget = r.GetValue(nonEmpty),
                Resume = r.GetValue(resume),
                Force = r.GetValue(force) && !r.GetValue(replace),
                NoOwner = r.GetValue(noOwner),
                NoPrivileges = planOptions.SkipPrivileges,
                Role = r.GetValue(role),
                Jobs = r.GetValue(jobs),
                SessionSettings = ParseSettings(r.GetValue(settings) ?? []),
                StopOnError = !r.GetValue(keepGoing),
                JournalPath = r.GetValue(journal),
                PgRestorePath = r.GetValue(pgRestore),
                ListDirectory = r.GetValue(lists),
                StopStaleSessions = r.GetValue(stopStale),
                AllowPooler = r.GetValue(allowPooler),
                SplitTableSize = r.GetValue(splitSize) is { } size ? PgPhaseRestore.Engine.Storage.SizeText.Parse(size) : RestoreOptions.DefaultSplitTableSize,
                Storage = storage,
                SkipChecks = r.GetValue(skipChecks),
            };
            // Options are refused before the archive is read and planned: planning may scan all of its data.
            options.Validate();
            var listed = r.GetValue(useList) is { Length: > 0 } listFiles ? ListedEntries.Read(listFiles) : null;
            var (log, debug, quiet) = output.Read(r);
            // A prefix resolves as the seed scripts built their keys: <prefix><SRC_DBNAME>/<BACKUP_NAME>.dump.
            var archive = await Engine.Backup.BackupCatalog.ResolveAsync(new ArchiveLocation(r.GetValue(source)!, storage),
                Environment.GetEnvironmentVariable("SRC_DBNAME") ?? targetInfo.Database, r.GetValue(backupName) ?? Environment.GetEnvironmentVariable("BACKUP_NAME"), ct);
            var restorePlan = await ArchivePlanning.PlanAsync(archive, planOptions with { SizeWhileLoading = true }, ct, targetInfo, from, log);
            var planned = restorePlan.Phases;
            if (listed is not null)
            {
                foreach (var index in listed.LateBuildsLeftOut(planned))
                    Console.Error.WriteLine($"pgphase: warning: {index} is built after its table's rows, in the data phase's list, which the lists given leave out: it is not restored, " +
                                            "and a foreign key that needs it fails (add that list, or restore with --phase 1 --phase 2 --phase 4, which builds it in phase 4)");
                planned = listed.Apply(planned, out var notPlanned);
                foreach (var entry in notPlanned)
                    Console.Error.WriteLine($"pgphase: warning: {entry} is listed but left out by the plan, so it is not restored");
            }
            var progress = quiet ? null : new ConsoleRestoreProgress();
            if (r.GetValue(replace))
                return await ReplaceRun.RunAsync(new Engine.Replace.ReplaceOptions
                {
                    Restore = options, SideDatabase = r.GetValue(sideDatabase), AsideName = r.GetValue(aside), Force = r.GetValue(force), SkipRowCounts = r.GetValue(skipRowCounts),
                }, planned, progress, log, debug, ct);
            var results = await new PhaseRestorer(options, progress, log, debug).RunAsync(planned, ct);
            foreach (var result in results)
            {
                Console.WriteLine(result);
                foreach (var error in result.Errors)
                    Console.WriteLine($"    {error}");
            }
            return results.All(x => x.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped) ? 0 : CommandRunner.Failed;
        }));
        return command;
    }

    internal static Dictionary<string, string> ParseSettings(string[] pairs)
    {
        var result = new Dictionary<string, string>();
        foreach (var pair in pairs)
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new UsageException($"--set {pair}: expected name=value");
            result[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
        }
        return result;
    }
}
