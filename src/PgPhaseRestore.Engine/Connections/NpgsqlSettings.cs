using System.Globalization;
using Npgsql;

namespace PgPhaseRestore.Engine.Connections;

/// <summary>
/// The Npgsql connection string that reaches the server libpq would reach, with the same password, SSL and session
/// settings, so the engine's own connections and its pg_dump/pg_restore children go to one place the same way.
/// </summary>
internal static class NpgsqlSettings
{
    /// <summary>
    /// An Npgsql connection string for the same server, settings and password libpq would use.
    /// <paramref name="applicationName"/> is the engine's name for the session, used when the connection gives none.
    /// </summary>
    /// <param name="info">The connection.</param>
    /// <param name="applicationName">The session's name unless the connection names one itself.</param>
    /// <param name="ownApplicationName">Use <paramref name="applicationName"/> even then: restore sessions are recognised by it.</param>
    public static string ToNpgsqlConnectionString(this PgConnectionInfo info, string applicationName = "pgphase", bool ownApplicationName = false)
    {
        var endpoints = info.Endpoints;
        var b = new NpgsqlConnectionStringBuilder
        {
            Database = info.EffectiveDatabase,
            Username = info.EffectiveUser,
            ApplicationName = ownApplicationName ? applicationName : info.Get("application_name") ?? applicationName,
            Pooling = false,
            Timeout = info.ConnectTimeout,
            CommandTimeout = 0,
        };
        if (endpoints.Count == 1)
        {
            b.Host = endpoints[0].Host;
            b.Port = int.Parse(endpoints[0].Port, CultureInfo.InvariantCulture);
        }
        else
        {
            b.Host = string.Join(',', endpoints.Select(e => e.ToString()));
        }

        // libpq sends the password only when the server asks for one; Npgsql does the same with the one it is given.
        b.Password = info.HasPassword ? info.Password : info.LookUpPassFile()?.Password;
        // Without one, Npgsql would read a password file of its own choosing (this process's PGPASSFILE or
        // ~/.pgpass, whatever the environment parsed, and without libpq's permission rule): give it none.
        if (b.Password is null && !OperatingSystem.IsWindows())
            b.Passfile = "/dev/null";

        if (endpoints.All(e => e.IsSocket))
            b.SslMode = Npgsql.SslMode.Disable; // libpq never uses SSL over a Unix socket
        else
            SslSettings.Apply(info, b);

        if (info.Get("options") is { Length: > 0 } options)
            b.Options = options;
        if (info.Get("target_session_attrs") is { Length: > 0 } attrs)
            b["Target Session Attributes"] = attrs;
        if (info.Get("load_balance_hosts") is { } balance)
            b.LoadBalanceHosts = balance == "random";
        if (info.Get("channel_binding") is { Length: > 0 } binding)
            b["Channel Binding"] = binding;
        if (info.Get("require_auth") is { Length: > 0 } auth)
            b["Require Auth"] = auth;
        if (info.Get("gssencmode") is { Length: > 0 } gss)
            b["GSS Encryption Mode"] = gss;
        if (info.Get("krbsrvname") is { Length: > 0 } krb)
            b.KerberosServiceName = krb;
        if (info.Get("client_encoding") is { Length: > 0 } encoding)
            b.ClientEncoding = encoding;
        if (info.Get("keepalives") is "0")
            b.TcpKeepAlive = false;
        else if (info.Get("keepalives_idle") is { } idle && int.TryParse(idle, out int idleSeconds))
        {
            b.TcpKeepAlive = true;
            b.TcpKeepAliveTime = idleSeconds;
            if (info.Get("keepalives_interval") is { } interval && int.TryParse(interval, out int intervalSeconds))
                b.TcpKeepAliveInterval = intervalSeconds;
        }
        return b.ConnectionString;
    }
}
