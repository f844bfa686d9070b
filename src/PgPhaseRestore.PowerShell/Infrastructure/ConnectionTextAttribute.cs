using System.Management.Automation;
using System.Text.RegularExpressions;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// -ServerConnection given as host:port, the form this module shows a server in (Get-PgDatabase's Server, which
/// binds here by property name, or a CSV column of that name): read as "host=... port=...". Without it, libpq's
/// rules take a word without "=" for a database name, and the server was sought on the local socket.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed partial class ServerAddressAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is not string text || HostAndPort().Match(text.Trim()) is not { Success: true } m)
            return inputData;
        return $"host={m.Groups["host"].Value} port={m.Groups["port"].Value}";
    }

    // db.example.com:5432, 10.0.0.5:5432, [::1]:5432; never a connection string (it has "=") or a URI (it has "/").
    [GeneratedRegex(@"^(?:\[(?<host>[0-9A-Fa-f:.]+)\]|(?<host>[A-Za-z0-9._-]+)):(?<port>\d{1,5})$")]
    private static partial Regex HostAndPort();
}
