using System.CommandLine;
using PgPhaseRestore.Engine.Swap;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>
/// `pgphase swap [--server CONNINFO] LIVE REPLACEMENT [--force] [--dry-run]`: the replacement takes the live name and
/// the live database moves to LIVE__before_&lt;time&gt;; `pgphase swap --undo LIVE [ASIDE]` swaps back.
/// </summary>
internal static class SwapCommand
{
    public static Command Build()
    {
        var database = new Argument<string>("database") { Description = "The live name: the database that holds it moves aside" };
        var replacement = new Argument<string?>("replacement")
        {
            Description = "The database that takes the live name (with --undo: the one to bring back; default: what the last swap put aside)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var server = ConnectionOptions.Create("--server", "Server: libpq string or URI; its dbname is ignored (default: DST_PG*, then PG* variables)");
        var undo = new Option<bool>("--undo") { Description = "Swap back: what the last swap put aside takes the live name again; an interrupted swap is rolled back" };
        var force = new Option<bool>("--force") { Description = "Block new connections to the databases being renamed and end their sessions (pg_terminate_backend)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print the renames, what is carried and the sessions that would be ended; change nothing" };
        var aside = new Option<string?>("--aside") { Description = "Name for the database leaving the live name (default: LIVE__before_<UTC yyyyMMddHHmmss>)" };
        var noCarry = new Option<bool>("--no-carry") { Description = "Do not carry the live database's settings, comment, grants and connection limit to the replacement" };
        var journal = new Option<string?>("--journal") { Description = "Swap journal file (default: one per server and live name under PGPHASE_JOURNAL_DIR or ~/.local/share/pgphase/journals)" };
        var output = new OutputOptions();

        var command = new Command("swap", "Put one database in another's place by renaming both in one transaction, resumably; --undo swaps back");
        command.Arguments.Add(database);
        command.Arguments.Add(replacement);
        foreach (var o in new Option[] { server, undo, force, dryRun, aside, noCarry, journal })
            command.Options.Add(o);
        output.AddTo(command);

        command.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            var (log, _, _) = output.Read(r);
            var options = new SwapOptions
            {
                Server = ConnectionOptions.Read(r.GetValue(server), "DST_", server),
                Database = r.GetValue(database)!,
                Replacement = r.GetValue(replacement),
                Undo = r.GetValue(undo),
                Force = r.GetValue(force),
                AsideName = r.GetValue(aside),
                CarrySettings = !r.GetValue(noCarry),
                JournalPath = r.GetValue(journal),
            };
            var plan = await DatabaseSwap.PlanAsync(options, ct);
            if (r.GetValue(dryRun))
            {
                foreach (var line in plan.Lines())
                    Console.WriteLine(line);
                return 0;
            }
            var result = await DatabaseSwap.RunAsync(plan, log, ct);
            foreach (var refused in result.NotCarried)
                Console.Error.WriteLine($"pgphase: warning: not carried: {refused}");
            Console.WriteLine(result);
            return 0;
        }));
        return command;
    }
}
