namespace PgPhaseRestore.Cli.Commands;

/// <summary>A query that found nothing of what it was asked for (no backup under a location): exit 1, not a bug.</summary>
internal sealed class NothingFoundException(string message) : Exception(message);
