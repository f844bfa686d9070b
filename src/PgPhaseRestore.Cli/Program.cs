using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.InteropServices;
using PgPhaseRestore.Cli.Commands;
using PgPhaseRestore.Demo;

namespace PgPhaseRestore.Cli;

/// <summary>`pgphase`: a thin command-line host over the engine. Each command parses, calls the engine once, prints.</summary>
public static class Program
{
    /// <summary>
    /// Parses the command line, runs the command with Ctrl+C, SIGTERM and SIGQUIT wired to its cancellation, and
    /// returns its exit code.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        // Ctrl+C, SIGTERM (a runbook or service stop) and SIGQUIT all cancel the running command, which kills
        // its pg_dump/pg_restore process tree and leaves the journal consistent before the process exits.
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Cancel);
        // The fault tests hold a run at a named point; without their variable this does nothing.
        TestSeam.Install();
        // No arguments at all: the overview of the commands, still a failure for a script that lost its arguments.
        if (args.Length == 0)
        {
            BuildRoot().Parse(["--help"]).Invoke();
            return 1;
        }
        var parsed = BuildRoot(args[0]).Parse(args);
        if (parsed.Action is ParseErrorAction)
            return ReportParseErrors(parsed);
        var config = new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };
        try
        {
            return await parsed.InvokeAsync(config, stop.Token);
        }
        catch (Exception ex)
        {
            // What the commands do not expect still gets one line, not a .NET stack trace; --debug shows it all.
            Console.Error.WriteLine($"pgphase: {ex.Message}");
            if (args.Contains("--debug") || Environment.GetEnvironmentVariable("PGPHASE_DEBUG") is "1" or "true" or "yes")
                Console.Error.WriteLine(ex);
            return 1;
        }

        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    /// <summary>
    /// One line per parse error and a pointer to --help, rather than the whole help text, which would bury the one
    /// line that matters (an unknown option, a value that is not one of those listed).
    /// </summary>
    private static int ReportParseErrors(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var errors = parsed.Errors.Select(e => e.Message).ToList();
        // Without a command every argument is unmatched and "Required command was not provided" comes first: name
        // only the first argument, and for a mistyped command the commands there are.
        if (command is RootCommand root && parsed.UnmatchedTokens is [var first, ..])
        {
            errors = [first.StartsWith('-')
                ? $"Unrecognized command or argument '{first}'."
                : $"'{first}' is not a command; the commands are {string.Join(", ", root.Subcommands.Select(c => c.Name))}"];
        }
        foreach (var error in errors)
            Console.Error.WriteLine($"pgphase: {error}");
        var path = command is RootCommand ? "pgphase" : $"pgphase {command.Name}";
        Console.Error.WriteLine($"Run '{path} --help' for its arguments and options.");
        return 1;
    }

    /// <summary>Every command, in the order help lists them.</summary>
    private static readonly (string Name, Func<Command> Build)[] Commands =
    [
        ("toc", TocCommand.Build), ("plan", PlanCommand.Build), ("restore", RestoreCommand.Build), ("verify", VerifyCommand.Build),
        ("backup", BackupCommand.Build), ("backups", BackupsCommand.Build), ("databases", DatabasesCommand.Build),
        ("copy", CopyCommand.Build), ("swap", SwapCommand.Build), ("demo", DemoCommand.Build),
    ];

    /// <summary>The whole command tree.</summary>
    public static RootCommand BuildRoot() => BuildRoot(null);

    /// <summary>
    /// The command tree for these arguments: only the command they name when they start with one, since building
    /// every command's options costs a loop over many archives more start-up than reading a TOC does.
    /// </summary>
    public static RootCommand BuildRoot(string? first)
    {
        var root = new RootCommand("pgphase: per-database logical backup and four-phase restore of PostgreSQL");
        var named = Commands.Where(c => c.Name == first).ToArray();
        foreach (var command in named.Length == 1 ? named : Commands)
            root.Subcommands.Add(command.Build());
        return root;
    }
}
