using System.CommandLine;
using PgPhaseRestore.Demo;
using PgPhaseRestore.Engine.Restore;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>`pgphase demo [--rows N]`: a throwaway cluster, a sample database, backup, four-phase restores beside plain pg_restore, verification.</summary>
internal static class DemoCommand
{
    public static Command Build()
    {
        var rows = OptionValues.Count("--rows", null, $"Rows of the sample orders table (default {DemoOptions.DefaultRows:N0})", 1, DemoOptions.DefaultRows);
        var noBucket = new Option<bool>("--no-s3") { Description = "Leave out the backup and restore through a local s3rver" };
        var output = new OutputOptions();
        var command = new Command("demo",
            "Start a throwaway local PostgreSQL, back up a sample database whose indexes outweigh its tables, restore it in four phases " +
            "beside a plain pg_restore, verify it, and remove everything");
        command.Options.Add(rows);
        command.Options.Add(noBucket);
        output.AddTo(command);

        command.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            var (log, debug, quiet) = output.Read(r);
            var report = await new DemoRunner(new DemoOptions { Rows = r.GetValue(rows), SkipBucket = r.GetValue(noBucket) },
                quiet ? null : new ConsoleRestoreProgress(), log, debug).RunAsync(ct);
            Print(report);
            return report.Passed ? 0 : CommandRunner.Failed;
        }));
        return command;
    }

    private static void Print(DemoReport report)
    {
        Console.WriteLine($"sample: {report.Rows:N0} orders, {Engine.Storage.SizeText.Format(report.TableBytes)} in tables, {Engine.Storage.SizeText.Format(report.IndexBytes)} in indexes");
        Console.WriteLine();
        Console.WriteLine($"{"restore",-24} {"Schema",9} {"Indexes",9} {"Data",9} {"PostData",9} {"total",9} {"vs plain",9}");
        foreach (var restore in report.Phased.Prepend(report.Plain))
        {
            var phases = Enumerable.Range(1, 4).Select(n => restore.Phases.FirstOrDefault(p => p.Phase == n) is { } p ? Seconds(p.Duration) : "-");
            var ratio = restore.Total / report.Plain.Total;
            Console.WriteLine($"{restore.Name,-24} {string.Join(' ', phases.Select(t => $"{t,9}"))} {Seconds(restore.Total),9} {ratio,8:F2}x");
        }
        if (report.BucketLeftOut is { } why)
            Console.WriteLine($"(no restore from a bucket: {why})");
        Console.WriteLine();
        foreach (var restore in report.Phased)
        {
            foreach (var failed in restore.Phases.Where(p => p.Status is not (PhaseStatus.Succeeded or PhaseStatus.Skipped)))
                Console.WriteLine($"{restore.Database}: {failed}{string.Concat(failed.Errors.Select(e => $"\n    {e}"))}");
            if (restore.Verification is { } v)
            {
                Console.WriteLine($"{restore.Database}: {v}");
                foreach (var d in v.Differences)
                    Console.WriteLine($"    {d}");
            }
        }
        Console.WriteLine(report.Passed
            ? "verification passed: every four-phase restore holds every object of the backup and exactly the source's rows"
            : "verification FAILED: see the differences above");
    }

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:F2} s";
}
