using PgPhaseRestore.Engine.Restore;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>One line per restore progress step on stderr, synchronously (the order of lines matters to a reader).</summary>
internal sealed class ConsoleRestoreProgress : IProgress<RestoreProgress>
{
    public void Report(RestoreProgress p) =>
        Console.Error.WriteLine($"phase {p.Phase} {p.PhaseName}: {p.ItemsDone}/{p.ItemsTotal} {p.Activity}{(p.Data is { } d ? $" [{d}]" : "")}");
}
