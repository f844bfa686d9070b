using System.Management.Automation;
using PgPhaseRestore.Engine.Tools;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// Connection strings plus an optional PSCredential; the credential wins over anything in the string.
/// </summary>
/// <remarks>
/// Naming, the same on every cmdlet: a database is reached through -&lt;Endpoint&gt;Connection with
/// -&lt;Endpoint&gt;Credential beside it, the endpoint being Source, Target or Server; archives are always -Path.
/// dbatools pairs -SqlInstance with -SqlCredential and -Source with -SourceSqlCredential the same way, but its
/// values name an instance; ours are libpq strings or URIs that may name a database, a host list, a service or
/// sslmode, so "Connection" says what to pass. -Source and -Target no longer name archives anywhere, so they stay
/// as aliases of the connections; -Credential and -ConnectionString stay only on cmdlets that reach one database.
/// </remarks>
internal static class Connections
{
    /// <summary>The connection <paramref name="conninfo"/> names (PG* variables fill the rest), with the credential's user and password when one is given.</summary>
    public static PgConnectionInfo From(string? conninfo, PSCredential? credential)
    {
        var info = PgConnectionInfo.Parse(conninfo);
        return credential is null ? info : info.WithCredentials(credential.UserName, credential.GetNetworkCredential().Password);
    }
}
