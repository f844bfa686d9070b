using Npgsql;

namespace PgPhaseRestore.Engine.Tools;

/// <summary>A connection to a server rather than to one database: "postgres", or "template1" where that is missing or closed to the user.</summary>
public static class MaintenanceDatabase
{
    private static readonly string[] Candidates = ["postgres", "template1"];

    /// <summary>
    /// Opens the first candidate that exists and admits the user. When none does, <paramref name="unreachable"/>
    /// builds the error from the last refusal; other failures (a wrong password, no server) are not retried.
    /// </summary>
    public static async Task<NpgsqlConnection> OpenAsync(PgConnectionInfo server, string applicationName,
        Func<PostgresException, Exception> unreachable, CancellationToken ct)
    {
        PostgresException? last = null;
        foreach (var db in Candidates)
        {
            var conn = new NpgsqlConnection(server.WithDatabase(db).ToNpgsqlConnectionString(applicationName));
            try
            {
                await conn.OpenAsync(ct).ConfigureAwait(false);
                return conn;
            }
            catch (PostgresException ex) when (ex.SqlState is "3D000" or "42501")
            {
                last = ex; // no such database, or no CONNECT on it: try the next one
                await conn.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await conn.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        throw unreachable(last!);
    }
}
