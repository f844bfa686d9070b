using System.Management.Automation;
using System.Runtime.CompilerServices;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// Connection strings plus an optional PSCredential, which gives the user and password; one that contradicts the
/// string (another user, a second password) is refused, never silently preferred.
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
    /// <summary>
    /// The connection <paramref name="conninfo"/> names (PG* variables fill the rest), with the credential's user and
    /// password when one is given. The caller passes its parameters themselves (Connections.From(TargetConnection,
    /// TargetCredential)): their names become the connection's origin, and a password that is refused is said to come
    /// from the credential parameter, so that an error names the parameters to change.
    /// </summary>
    public static PgConnectionInfo From(string? conninfo, PSCredential? credential,
        [CallerArgumentExpression(nameof(conninfo))] string connectionParameter = "",
        [CallerArgumentExpression(nameof(credential))] string credentialParameter = "")
    {
        try
        {
            var info = PgConnectionInfo.Parse(conninfo).WithOrigin(ParameterOf(connectionParameter));
            return credential is null
                ? info
                : info.WithCredentials(credential.UserName, credential.GetNetworkCredential().Password, ParameterOf(credentialParameter) is { } name ? "-" + name : "the credential");
        }
        catch (PgPhaseException ex) when (ex.Kind == PgPhaseErrorKind.InvalidInput && ParameterOf(connectionParameter) is { } parameter)
        {
            // "connection string: unknown keyword ..." says which string only when there is one: here there are two or three.
            const string Generic = "connection string: ";
            var said = ex.Message.StartsWith(Generic, StringComparison.Ordinal) ? ex.Message[Generic.Length..] : ex.Message;
            throw PgPhaseException.Restated($"-{parameter}: {said}", ex, parameter);
        }
    }

    /// <summary>
    /// A connection string as an error's target object, which PowerShell shows and serialises: user@host:port/database
    /// when it can be read, else the parameter's name. Never the string itself, which may hold a password.
    /// </summary>
    public static string Shown(string? conninfo, [CallerArgumentExpression(nameof(conninfo))] string connectionParameter = "")
    {
        try
        {
            return PgConnectionInfo.Parse(conninfo).ToString();
        }
        catch (Exception ex) when (ex is PgPhaseException or ArgumentException or FormatException)
        {
            return $"the -{ParameterOf(connectionParameter) ?? "Connection"} value";
        }
    }

    /// <summary>The connection parameter a connection came from (-TargetConnection), or null when its origin is not one.</summary>
    public static string? ConnectionParameter(string? origin) => origin is null ? null : "-" + origin;

    /// <summary>The credential parameter beside a connection parameter (-TargetCredential beside -TargetConnection).</summary>
    public static string? CredentialParameter(string? origin) =>
        origin is not null && origin.EndsWith(ConnectionSuffix, StringComparison.Ordinal) ? "-" + origin[..^ConnectionSuffix.Length] + "Credential" : null;

    private const string ConnectionSuffix = "Connection";

    // "TargetConnection" or "p.SourceConnection" name a parameter; any other expression names none.
    private static string? ParameterOf(string expression)
    {
        var name = expression[(expression.LastIndexOf('.') + 1)..];
        return name.Length > 0 && char.IsUpper(name[0]) && name.All(char.IsLetterOrDigit) ? name : null;
    }
}
