using System.Text;

namespace PgPhaseRestore.Engine.Connections;

/// <summary>
/// A connection written back as libpq conninfo, for the pg_dump and pg_restore children: without the password (it
/// reaches them through a password file), the host list resolved as Npgsql resolves it, and the connection's options
/// moved to PGOPTIONS so that session settings add to them.
/// </summary>
internal static class ChildConninfo
{
    /// <summary>A libpq conninfo string without the password, the host resolved as this connection resolves it.</summary>
    public static string ToLibpqString(this PgConnectionInfo info) => Conninfo(info, info.Keys);

    /// <summary>
    /// The conninfo for a pg_dump or pg_restore child: options move to PGOPTIONS (<see cref="ChildOptions"/>) so
    /// that session settings add to them, and the passfile stays out when a held password goes through our own.
    /// </summary>
    public static string ToChildConninfo(this PgConnectionInfo info, bool ownApplicationName = false) =>
        Conninfo(info, info.Keys.Where(k => k != "options" && !(k == "passfile" && info.HasPassword) && !(k == "application_name" && ownApplicationName)));

    /// <summary>The connection's options followed by the caller's PGOPTIONS, which thereby win for the same setting.</summary>
    public static string? ChildOptions(this PgConnectionInfo info, string? callerOptions) =>
        string.Join(' ', new[] { info.Get("options"), callerOptions }.Where(o => !string.IsNullOrWhiteSpace(o))) is { Length: > 0 } joined ? joined : null;

    private static string Conninfo(PgConnectionInfo info, IEnumerable<string> keys)
    {
        var sb = new StringBuilder();
        var list = keys.ToList();
        if (!list.Contains("host") && !list.Contains("hostaddr"))
            list.Insert(0, "host");
        foreach (var k in list)
        {
            var v = k == "host" ? ResolvedHostList(info) : info.Get(k)!;
            if (sb.Length > 0)
                sb.Append(' ');
            sb.Append(k).Append('=').Append(Quote(v));
        }
        return sb.ToString();
    }

    /// <summary>The host list with every empty item replaced by its socket directory, so children go where Npgsql goes.</summary>
    private static string ResolvedHostList(PgConnectionInfo info)
    {
        var hosts = PgEndpoint.Items(info.Get("host"));
        if (hosts.Count == 0 && PgEndpoint.Items(info.Get("hostaddr")).Count > 0)
            return "";
        var endpoints = info.Endpoints;
        return string.Join(',', endpoints.Select((e, i) => i < hosts.Count && hosts[i].Length > 0 ? hosts[i] : e.IsSocket ? e.Host : ""));
    }

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => !char.IsWhiteSpace(c) && c != '\'' && c != '\\')
            ? value
            : "'" + value.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}
