using System.Management.Automation;
using System.Text.RegularExpressions;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// A -*Connection value in the forms this module shows a database or a server in, which bind here by property name
/// from its own objects or from a CSV column: host:port (Get-PgDatabase's Server) is read as "host=... port=...", and
/// user@host:port/database (the Target of a restore's or a copy's result) as those four keywords. Without this, libpq's
/// rules take a word without "=" for a database name, and the server was sought on the local socket. A path (an
/// archive's Source bound from the pipeline) is refused: read as a database name, it connected to whatever the PG*
/// variables named and, for a backup, backed that up.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed partial class ConnectionTextAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is not string raw)
            return inputData;
        var text = raw.Trim();
        if (HostAndPort().Match(text) is { Success: true } server)
            return $"host={server.Groups["host"].Value} port={server.Groups["port"].Value}";
        if (Shown().Match(text) is { Success: true } shown)
            return (shown.Groups["user"].Success ? $"user='{Quoted(shown.Groups["user"].Value)}' " : "") +
                   $"host='{Quoted(shown.Groups["host"].Value)}' port={shown.Groups["port"].Value} dbname='{Quoted(shown.Groups["db"].Value)}'";
        if (!text.Contains('=') && !text.StartsWith("postgres://", StringComparison.Ordinal) && !text.StartsWith("postgresql://", StringComparison.Ordinal) &&
            text.IndexOfAny(['/', '\\']) >= 0)
            // The value is not repeated: whatever it is, it may hold a password.
            throw new ArgumentTransformationMetadataException(
                "the value is not a connection: give a libpq string (host=... dbname=...), a postgresql:// URI or host:port. " +
                "A path here is an archive's, bound by its Source property from an object on the pipeline: pipe archives to the cmdlets that read them.");
        return inputData;
    }

    private static string Quoted(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);

    // db.example.com:5432, 10.0.0.5:5432, [::1]:5432; never a connection string (it has "=") or a URI (it has "/").
    [GeneratedRegex(@"^(?:\[(?<host>[0-9A-Fa-f:.]+)\]|(?<host>[A-Za-z0-9._-]+)):(?<port>\d{1,5})$")]
    private static partial Regex HostAndPort();

    // app@db.example.com:5432/shop, [::1]:5432/shop, or a socket directory: app@/var/run/postgresql:5432/shop.
    [GeneratedRegex(@"^(?:(?<user>[^@\s/=:]+)@)?(?:\[(?<host>[0-9A-Fa-f:.]+)\]|(?<host>/[^:=\s]*|[A-Za-z0-9._-]+)):(?<port>\d{1,5})/(?<db>[^/=]+)$")]
    private static partial Regex Shown();
}
