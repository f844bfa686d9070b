using System.CommandLine;
using System.Runtime.InteropServices;
using PgPhaseRestore.Cli.Commands;

namespace PgPhaseRestore.Cli;

/// <summary>`pgphase`: a thin command-line host over the engine. Each command parses, calls the engine once, prints.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // Ctrl+C, SIGTERM (a runbook or service stop) and SIGQUIT all cancel the running command, which kills
        // its pg_dump/pg_restore process tree and leaves the journal consistent before the process exits.
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Cancel);
        var config = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await BuildRoot().Parse(args).InvokeAsync(config, stop.Token);

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("pgphase: per-database logical backup and four-phase restore of PostgreSQL");
        root.Subcommands.Add(TocCommand.Build());
        root.Subcommands.Add(PlanCommand.Build());
        root.Subcommands.Add(RestoreCommand.Build());
        root.Subcommands.Add(VerifyCommand.Build());
        root.Subcommands.Add(BackupCommand.Build());
        root.Subcommands.Add(BackupsCommand.Build());
        root.Subcommands.Add(DatabasesCommand.Build());
        root.Subcommands.Add(CopyCommand.Build());
        root.Subcommands.Add(SwapCommand.Build());
        return root;
    }
}
