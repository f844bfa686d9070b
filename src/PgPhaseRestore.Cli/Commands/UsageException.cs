namespace PgPhaseRestore.Cli.Commands;

/// <summary>A command line pgphase refuses after parsing it (an option's value it reads itself): the user's input, not a bug.</summary>
internal sealed class UsageException(string message) : Exception(message);
