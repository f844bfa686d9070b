using System.CommandLine;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>`pgphase plan SOURCE [--strategy S] [--out DIR]`: the four phases, and their list files.</summary>
internal static class PlanCommand
{
    public static Command Build()
    {
        var source = new Argument<string>("source") { Description = "Archive: file, directory-format folder, or s3://bucket/key" };
        var outDir = new Option<string?>("--out", "-o") { Description = "Write phase-N-name.list files here, for pg_restore -L" };
        var sizesFrom = ConnectionOptions.Create("--sizes-from", "Auto: read index sizes from this source database when the archive has no manifest (libpq string or URI)");
        var plan = new PlanOptionsBinder();
        var s3 = new S3Options();
        var command = new Command("plan", "Split an archive into the four restore phases");
        command.Arguments.Add(source);
        command.Options.Add(outDir);
        command.Options.Add(sizesFrom);
        plan.AddTo(command);
        s3.AddTo(command);
        command.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            var from = r.GetValue(sizesFrom) is { } conninfo ? ConnectionOptions.Read(conninfo, "SRC_", sizesFrom) : null;
            // What sizing reads, and how long it took, goes to stderr: stdout stays the plan.
            var result = await ArchivePlanning.PlanAsync(s3.Location(r, r.GetValue(source)!), plan.Read(r), ct, sizesFrom: from, log: m => Console.Error.WriteLine(m));
            var dir = r.GetValue(outDir);
            Console.WriteLine($"{result.Archive.Source}: {result.Strategy} plan, {Plural.Of(result.Archive.Entries.Count, "TOC entry")}");
            foreach (var phase in result.Phases)
            {
                var file = dir is null ? "" : "  -> " + phase.WriteListFile(dir);
                // Tables are the point of the data phase only.
                var tables = phase.Kind == PhaseKind.Data ? $", {Plural.Of(phase.TableCount, "table")}" : "";
                Console.WriteLine($"  phase {phase.Number} {phase.Name,-9} {phase.EntryCount,6} {Plural.Noun(phase.EntryCount, "entry")}{tables}{file}");
            }
            if (result.Strategy == RestoreStrategy.Auto)
            {
                Console.WriteLine($"  {"index builds",-17}{result.IndexDecisions.Count(d => d.Late),6} late, {result.IndexDecisions.Count(d => !d.Late)} early (budget {PgPhaseRestore.Engine.Storage.SizeText.Format(result.Phases[0].MemoryBudget ?? 0)})");
                foreach (var d in result.IndexDecisions)
                    Console.WriteLine($"    {d.Entry.DumpId}; {d}");
            }
            // Every TOC entry is accounted for once: in a phase, excluded, or applied by pg_restore itself.
            int special = result.Archive.Entries.Count(e => e.IsSpecial);
            Console.WriteLine($"  {"by pg_restore",-17}{special,6} {Plural.Noun(special, "entry")} (ENCODING, STDSTRINGS, SEARCHPATH: applied to every session, never listed)");
            Console.WriteLine($"  {"excluded",-17}{result.Excluded.Count,6} {Plural.Noun(result.Excluded.Count, "entry")}");
            foreach (var x in result.Excluded)
                Console.WriteLine($"    {x.Entry.DumpId}; {x.Entry.Type} {x.Entry.QualifiedName}: {x.Reason}");
            return 0;
        }));
        return command;
    }
}
