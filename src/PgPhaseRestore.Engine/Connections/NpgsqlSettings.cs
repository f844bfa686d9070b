using System.Globalization;
using Npgsql;

namespace PgPhaseRestore.Engine.Connections;

/// <summary>
/// The Npgsql connection string that reaches the server libpq would reach, with the same password, SSL and session
/// settings, so the engine's own connections and its pg_dump/pg_restore children go to one place the same way.
/// </summary>
internal static class NpgsqlSettings
{
    /// <summary>The longest connect timeout Npgsql accepts, in seconds.</summary>
    private const int MaxConnectTimeout = 1024;

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
            CommandTimeout = 0,
        };
        // libpq takes any connect_timeout, Npgsql none over 1024 s: the engine's own connections wait at most that.
        Set(info, "connect_timeout", () => b.Timeout = Math.Min(info.ConnectTimeout, MaxConnectTimeout));
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
            Set(info, "target_session_attrs", () => b["Target Session Attributes"] = attrs);
        if (info.Get("load_balance_hosts") is { } balance)
            b.LoadBalanceHosts = balance == "random";
        if (info.Get("channel_binding") is { Length: > 0 } binding)
            Set(info, "channel_binding", () => b["Channel Binding"] = binding);
        if (info.Get("require_auth") is { Length: > 0 } auth)
            Set(info, "require_auth", () => b["Require Auth"] = auth);
        if (info.Get("gssencmode") is { Length: > 0 } gss)
            Set(info, "gssencmode", () => b["GSS Encryption Mode"] = gss);
        if (info.Get("krbsrvname") is { Length: > 0 } krb)
            b.KerberosServiceName = krb;
        if (info.Get("client_encoding") is { Length: > 0 } encoding)
            b.ClientEncoding = encoding;
        if (info.Get("keepalives") is "0")
            b.TcpKeepAlive = false;
        else if (info.Get("keepalives_idle") is { } idle && int.TryParse(idle, out int idleSeconds))
        {
            b.TcpKeepAlive = true;
            Set(info, "keepalives_idle", () => b.TcpKeepAliveTime = idleSeconds);
            if (info.Get("keepalives_interval") is { } interval && int.TryParse(interval, out int intervalSeconds))
                Set(info, "keepalives_interval", () => b.TcpKeepAliveInterval = intervalSeconds);
        }
        return b.ConnectionString;
    }

    /// <summary>
    /// Hands one keyword's value to Npgsql, which refuses some that libpq would pass to the server or reject later
    /// (connect_timeout over 1024 s, a negative keepalive, an unknown channel_binding): the refusal names the
    /// keyword, its value and where it came from, as the user's input rather than a bug.
    /// </summary>
    internal static void Set(PgConnectionInfo info, string key, Action set)
    {
        try
        {
            set();
        }
        catch (ArgumentException ex)
        {
            var reason = ex.Message.Split('\n', 2)[0].Split(" (Parameter", 2)[0].TrimEnd('.');
            throw new PgPhaseException($"{info.OriginOf(key) ?? "the connection"}: {key} \"{info.Get(key) ?? ""}\" is not accepted: {reason}",
                PgPhaseErrorCode.InvalidInput, ex);
        }
    }
}
