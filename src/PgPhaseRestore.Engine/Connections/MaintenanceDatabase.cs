using Npgsql;

namespace PgPhaseRestore.Engine.Connections;

/// <summary>A connection to a server rather than to one database: "postgres", or "template1" where that is missing or closed to the user.</summary>
internal static class MaintenanceDatabase
{
    private static readonly string[] Candidates = ["postgres", "template1"];

    /// <summary>
    /// Opens the first candidate that exists and admits the user. When none does, <paramref name="unreachable"/>
    /// builds the error from the last refusal; other failures (a wrong password, no server) are not retried and
    /// are described as <see cref="PgPhaseException"/>.
    /// </summary>
    public static async Task<NpgsqlConnection> OpenAsync(PgConnectionInfo server, string applicationName,
        Func<PostgresException, Exception> unreachable, CancellationToken ct)
    {
        PostgresException? last = null;
        foreach (var db in Candidates)
        {
            try
            {
                return await server.WithDatabase(db).OpenAsync(applicationName, ct).ConfigureAwait(false);
            }
            catch (PgPhaseException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.InsufficientPrivilege } refusal)
            {
                last = refusal; // no such database, or no CONNECT on it: try the next one
            }
        }
        throw unreachable(last!);
    }
}
