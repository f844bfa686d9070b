using System.Management.Automation;
using PgPhaseRestore.Engine.Tools;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>Connection strings plus an optional PSCredential; the credential wins over anything in the string.</summary>
public static class Connections
{
    public static PgConnectionInfo From(string? conninfo, PSCredential? credential)
    {
        var info = PgConnectionInfo.Parse(conninfo);
        return credential is null ? info : info.WithCredentials(credential.UserName, credential.GetNetworkCredential().Password);
    }
}
