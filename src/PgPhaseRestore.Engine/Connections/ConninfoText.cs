using System.Globalization;
using System.Text;

namespace PgPhaseRestore.Engine.Connections;

/// <summary>
/// libpq's two ways of writing a connection, read into keyword and value pairs: a keyword=value string (values
/// quoted with ' and escaped with \) and a postgresql:// URI (user info, a host list with ports, a database path and
/// query parameters, percent-encoded). Keywords libpq does not know are refused, and ports are checked as libpq checks
/// them. What the values mean, and what fills in those not given, is <see cref="PgConnectionInfo"/>'s job.
/// </summary>
internal static class ConninfoText
{
    private static readonly string[] Keywords =
        ["host", "hostaddr", "port", "dbname", "user", "password", "passfile", "service", "sslmode", "sslrootcert", "sslcert", "sslkey",
         "sslnegotiation", "application_name", "connect_timeout", "options", "target_session_attrs", "load_balance_hosts",
         "channel_binding", "require_auth", "gssencmode", "krbsrvname", "client_encoding", "keepalives", "keepalives_idle",
         "keepalives_interval"];

    /// <summary>Whether libpq knows the keyword.</summary>
    public static bool IsKeyword(string key) => Array.IndexOf(Keywords, key) >= 0;

    /// <summary>
    /// The pairs of a conninfo string or URI as written ("database" read as "dbname"), the password and the service
    /// among them. <paramref name="conninfo"/> is trimmed and not empty.
    /// </summary>
    public static Dictionary<string, string> Parse(string conninfo)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (conninfo.StartsWith("postgresql://", StringComparison.Ordinal) || conninfo.StartsWith("postgres://", StringComparison.Ordinal))
            ParseUri(conninfo, values);
        else if (conninfo.Contains('='))
            ParseKeywords(conninfo, values);
        else
            values["dbname"] = conninfo; // a bare database name, as psql accepts
        return values;
    }

    private static void ParseUri(string uri, Dictionary<string, string> values)
    {
        // Errors name the URI as given, minus its password.
        var shown = WithoutPassword(uri);
        string Unescape(string text) => UnescapeUriPart(text, shown);
        var rest = uri[(uri.IndexOf("://", StringComparison.Ordinal) + 3)..];
        string query = "";
        int q = rest.IndexOf('?');
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }
        string path = "";
        int slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            path = rest[(slash + 1)..];
            rest = rest[..slash];
        }
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            int colon = userInfo.IndexOf(':');
            if (colon >= 0)
            {
                values["user"] = Unescape(userInfo[..colon]);
                values["password"] = Unescape(userInfo[(colon + 1)..]);
            }
            else if (userInfo.Length > 0)
            {
                values["user"] = Unescape(userInfo);
            }
        }
        if (rest.Length > 0)
        {
            // host[:port][,host[:port]]...: libpq keeps the hosts and ports as two lists of the same length.
            var hosts = new List<string>();
            var ports = new List<string>();
            foreach (var item in rest.Split(','))
            {
                var (host, port) = HostAndPort(item, shown);
                hosts.Add(Unescape(host));
                ports.Add(port.Length > 0 ? CheckPort(port, shown) : "");
            }
            if (hosts.Any(h => h.Length > 0))
                values["host"] = string.Join(',', hosts);
            if (ports.Any(p => p.Length > 0))
                values["port"] = string.Join(',', ports);
        }
        if (path.Length > 0)
            values["dbname"] = Unescape(path);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            var key = Unescape(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Unescape(pair[(eq + 1)..]);
            Accept(values, key, value, shown);
        }
    }

    private static (string Host, string Port) HostAndPort(string item, string shown)
    {
        if (item.StartsWith('['))
        {
            int close = item.IndexOf(']');
            if (close < 0)
                throw new PgPhaseException($"{shown}: the host's \"[\" has no closing \"]\" (an IPv6 address is written [::1] or [::1]:5432)", PgPhaseErrorCode.InvalidInput);
            var host = item[1..close];
            if (close + 1 == item.Length)
                return (host, "");
            if (item[close + 1] != ':')
                throw new PgPhaseException($"{shown}: \"{item[(close + 1)..]}\" after the host \"[{host}]\" is not \":port\"", PgPhaseErrorCode.InvalidInput);
            return (host, item[(close + 2)..]);
        }
        int c = item.LastIndexOf(':');
        return c < 0 ? (item, "") : (item[..c], item[(c + 1)..]);
    }

    /// <summary>The URI with the password of its user info replaced, for error messages.</summary>
    private static string WithoutPassword(string uri)
    {
        int start = uri.IndexOf("://", StringComparison.Ordinal) + 3;
        int end = uri.IndexOfAny(['/', '?'], start);
        var authority = end < 0 ? uri[start..] : uri[start..end];
        int at = authority.LastIndexOf('@');
        int colon = at < 0 ? -1 : authority.IndexOf(':');
        if (colon < 0 || colon > at)
            return uri;
        return uri[..(start + colon + 1)] + "***" + uri[(start + at)..];
    }

    // libpq refuses a "%" that does not start a two-digit hex escape; Uri.UnescapeDataString would keep it as text.
    private static string UnescapeUriPart(string text, string shown)
    {
        for (int i = text.IndexOf('%'); i >= 0; i = text.IndexOf('%', i + 1))
        {
            if (i + 2 >= text.Length || !char.IsAsciiHexDigit(text[i + 1]) || !char.IsAsciiHexDigit(text[i + 2]))
                throw new PgPhaseException($"{shown}: \"{text[i..Math.Min(text.Length, i + 3)]}\" is not a percent-encoded character (%XX)", PgPhaseErrorCode.InvalidInput);
        }
        return Uri.UnescapeDataString(text);
    }

    /// <summary>
    /// A port as libpq accepts it: a number from 1 to 65535, or one per host as a comma-separated list (an
    /// empty item meaning the default). Anything else would otherwise be dropped for 5432 without a word.
    /// </summary>
    public static string CheckPort(string value, string where)
    {
        // Surrounding blanks are fine: libpq's own number parsing skips them.
        foreach (var item in value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (item.Length == 0)
                continue;
            if (item.Length > 5 || !item.All(char.IsAsciiDigit) || int.Parse(item, CultureInfo.InvariantCulture) is < 1 or > 65535)
            {
                var which = item == value ? "" : $" (\"{item}\")";
                throw new PgPhaseException($"{where}: port \"{value}\"{which} is not a port number from 1 to 65535", PgPhaseErrorCode.InvalidInput);
            }
        }
        return value;
    }

    private static void ParseKeywords(string conninfo, Dictionary<string, string> values)
    {
        int i = 0;
        while (i < conninfo.Length)
        {
            while (i < conninfo.Length && char.IsWhiteSpace(conninfo[i]))
                i++;
            if (i >= conninfo.Length)
                break;
            int eq = conninfo.IndexOf('=', i);
            if (eq < 0)
                throw new PgPhaseException($"connection string: \"{conninfo[i..]}\" is missing \"=\"", PgPhaseErrorCode.InvalidInput);
            var key = conninfo[i..eq].Trim();
            i = eq + 1;
            while (i < conninfo.Length && char.IsWhiteSpace(conninfo[i]))
                i++;
            var value = new StringBuilder();
            if (i < conninfo.Length && conninfo[i] == '\'')
            {
                i++;
                while (i < conninfo.Length && conninfo[i] != '\'')
                {
                    if (conninfo[i] == '\\' && i + 1 < conninfo.Length)
                        i++;
                    value.Append(conninfo[i++]);
                }
                if (i >= conninfo.Length)
                    throw new PgPhaseException($"connection string: unterminated quoted value for \"{key}\"", PgPhaseErrorCode.InvalidInput);
                i++;
            }
            else
            {
                while (i < conninfo.Length && !char.IsWhiteSpace(conninfo[i]))
                {
                    if (conninfo[i] == '\\' && i + 1 < conninfo.Length)
                        i++;
                    value.Append(conninfo[i++]);
                }
            }
            Accept(values, key, value.ToString(), "connection string");
        }
    }

    private static void Accept(Dictionary<string, string> values, string key, string value, string where)
    {
        if (key == "database")
            key = "dbname";
        if (!IsKeyword(key))
            throw new PgPhaseException($"{where}: unknown keyword \"{key}\"", PgPhaseErrorCode.InvalidInput);
        values[key] = key == "port" ? CheckPort(value, where) : value;
    }
}
