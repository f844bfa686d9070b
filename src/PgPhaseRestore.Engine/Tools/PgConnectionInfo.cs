using System.Diagnostics;
using System.Text;
using Npgsql;

namespace PgPhaseRestore.Engine.Tools;

/// <summary>
/// A PostgreSQL connection as libpq understands it: a keyword=value string or a postgresql:// URI, with the
/// PG* environment variables filling what is not given. The password is kept apart: it reaches child
/// processes only through a password file, and never appears in ToString, logs or arguments.
/// </summary>
public sealed class PgConnectionInfo
{
    private static readonly string[] Keywords =
        ["host", "hostaddr", "port", "dbname", "user", "password", "sslmode", "sslrootcert", "sslcert", "sslkey",
         "application_name", "connect_timeout", "options", "target_session_attrs", "passfile"];

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public string? Host => Get("host");
    public int Port => int.TryParse(Get("port"), out int p) ? p : 5432;
    public string? Database => Get("dbname");
    public string? User => Get("user");
    public string? SslMode => Get("sslmode");

    /// <summary>Read only inside the engine (password files, Npgsql), so no output object or serialiser can show it.</summary>
    [DebuggerBrowsable(DebuggerBrowsableState.Never)]
    internal string? Password { get; private set; }

    public bool HasPassword => !string.IsNullOrEmpty(Password);

    private string? Get(string key) => _values.GetValueOrDefault(key);

    /// <summary>Parses a conninfo string or URI; empty input means "everything from the environment".</summary>
    public static PgConnectionInfo Parse(string? conninfo, Func<string, string?>? getenv = null)
    {
        getenv ??= Environment.GetEnvironmentVariable;
        var info = new PgConnectionInfo();
        conninfo = conninfo?.Trim() ?? "";
        if (conninfo.StartsWith("postgresql://", StringComparison.Ordinal) || conninfo.StartsWith("postgres://", StringComparison.Ordinal))
            info.ParseUri(conninfo);
        else if (conninfo.Contains('='))
            info.ParseKeywords(conninfo);
        else if (conninfo.Length > 0)
            info._values["dbname"] = conninfo; // a bare database name, as psql accepts

        // libpq's environment fallbacks.
        Fill(info, "host", getenv("PGHOST"));
        if (getenv("PGPORT") is { Length: > 0 } envPort && !info._values.ContainsKey("port"))
            info._values["port"] = CheckPort(envPort, "the PGPORT variable");
        Fill(info, "dbname", getenv("PGDATABASE"));
        Fill(info, "user", getenv("PGUSER"));
        Fill(info, "sslmode", getenv("PGSSLMODE"));
        Fill(info, "application_name", getenv("PGAPPNAME"));
        if (info._values.Remove("password", out var pw))
            info.Password = pw;
        info.Password ??= getenv("PGPASSWORD");
        return info;
    }

    private static void Fill(PgConnectionInfo info, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value) && !info._values.ContainsKey(key))
            info._values[key] = value;
    }

    /// <summary>The same connection to another database (the maintenance database, or a new target).</summary>
    public PgConnectionInfo WithDatabase(string database)
    {
        var copy = new PgConnectionInfo { Password = Password };
        foreach (var (k, v) in _values)
            copy._values[k] = v;
        copy._values["dbname"] = database;
        return copy;
    }

    /// <summary>The same connection with another password (from a PSCredential, say).</summary>
    public PgConnectionInfo WithCredentials(string? user, string? password)
    {
        var copy = WithDatabase(Database ?? "");
        if (string.IsNullOrEmpty(Database))
            copy._values.Remove("dbname");
        if (!string.IsNullOrEmpty(user))
            copy._values["user"] = user;
        copy.Password = password;
        return copy;
    }

    /// <summary>A libpq conninfo string for pg_dump/pg_restore -d, without the password.</summary>
    public string ToLibpqString()
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in _values)
        {
            if (sb.Length > 0)
                sb.Append(' ');
            sb.Append(k).Append('=').Append(Quote(v));
        }
        return sb.ToString();
    }

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => !char.IsWhiteSpace(c) && c != '\'' && c != '\\')
            ? value
            : "'" + value.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    public string ToNpgsqlConnectionString(string applicationName = "pgphase")
    {
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = Host ?? "localhost",
            Port = Port,
            Database = Database,
            Username = User ?? Environment.UserName,
            Password = Password,
            ApplicationName = Get("application_name") ?? applicationName,
            Pooling = false,
            Timeout = int.TryParse(Get("connect_timeout"), out int t) && t > 0 ? t : 30,
            CommandTimeout = 0,
        };
        if (SslMode is { } mode)
        {
            b.SslMode = mode switch
            {
                "disable" => Npgsql.SslMode.Disable,
                "allow" => Npgsql.SslMode.Allow,
                "prefer" => Npgsql.SslMode.Prefer,
                "require" => Npgsql.SslMode.Require,
                "verify-ca" => Npgsql.SslMode.VerifyCA,
                "verify-full" => Npgsql.SslMode.VerifyFull,
                _ => throw new ArgumentException($"sslmode \"{mode}\" is not one of disable, allow, prefer, require, verify-ca, verify-full"),
            };
        }
        if (Get("sslrootcert") is { } root)
            b.RootCertificate = root;
        return b.ConnectionString;
    }

    /// <summary>Where, without secrets: user@host:port/db.</summary>
    public override string ToString() => $"{User ?? Environment.UserName}@{Host ?? "localhost"}:{Port}/{Database}";

    private void ParseUri(string uri)
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
                _values["user"] = Unescape(userInfo[..colon]);
                _values["password"] = Unescape(userInfo[(colon + 1)..]);
            }
            else if (userInfo.Length > 0)
            {
                _values["user"] = Unescape(userInfo);
            }
        }
        if (rest.Length > 0)
        {
            string host = rest, port = "";
            if (rest.StartsWith('['))
            {
                int close = rest.IndexOf(']');
                if (close < 0)
                    throw new ArgumentException($"{shown}: the host's \"[\" has no closing \"]\" (an IPv6 address is written [::1] or [::1]:5432)");
                host = rest[1..close];
                if (close + 1 < rest.Length)
                {
                    if (rest[close + 1] != ':')
                        throw new ArgumentException($"{shown}: \"{rest[(close + 1)..]}\" after the host \"[{host}]\" is not \":port\"");
                    port = rest[(close + 2)..];
                }
            }
            else if (rest.LastIndexOf(':') is var c and >= 0)
            {
                host = rest[..c];
                port = rest[(c + 1)..];
            }
            if (host.Length > 0)
                _values["host"] = Unescape(host);
            if (port.Length > 0)
                _values["port"] = CheckPort(port, shown);
        }
        if (path.Length > 0)
            _values["dbname"] = Unescape(path);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            var key = Unescape(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Unescape(pair[(eq + 1)..]);
            Accept(key, value, shown);
        }
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
                throw new ArgumentException($"{shown}: \"{text[i..Math.Min(text.Length, i + 3)]}\" is not a percent-encoded character (%XX)");
        }
        return Uri.UnescapeDataString(text);
    }

    /// <summary>
    /// A port as libpq accepts it: a number from 1 to 65535, or one per host as a comma-separated list (an
    /// empty item meaning the default). Anything else would otherwise be dropped for 5432 without a word.
    /// </summary>
    private static string CheckPort(string value, string where)
    {
        // Surrounding blanks are fine: libpq's own number parsing skips them.
        foreach (var item in value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (item.Length == 0)
                continue;
            if (item.Length > 5 || !item.All(char.IsAsciiDigit) || int.Parse(item) is < 1 or > 65535)
            {
                var which = item == value ? "" : $" (\"{item}\")";
                throw new ArgumentException($"{where}: port \"{value}\"{which} is not a port number from 1 to 65535");
            }
        }
        return value;
    }

    private void ParseKeywords(string conninfo)
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
                throw new ArgumentException($"connection string: \"{conninfo[i..]}\" is missing \"=\"");
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
                    throw new ArgumentException($"connection string: unterminated quoted value for \"{key}\"");
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
            Accept(key, value.ToString(), "connection string");
        }
    }

    private void Accept(string key, string value, string where)
    {
        if (key == "database")
            key = "dbname";
        if (Array.IndexOf(Keywords, key) < 0)
            throw new ArgumentException($"{where}: unknown keyword \"{key}\"");
        _values[key] = key == "port" ? CheckPort(value, where) : value;
    }
}
