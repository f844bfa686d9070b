using System.CommandLine;
using PgPhaseRestore.Cli.Commands;

namespace PgPhaseRestore.Cli;

/// <summary>`pgphase`: a thin command-line host over the engine. Each command parses, calls the engine once, prints.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => BuildRoot().Parse(args).InvokeAsync();

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("pgphase: per-database logical backup and four-phase restore of PostgreSQL");
        root.Subcommands.Add(TocCommand.Build());
        return root;
    }
}
