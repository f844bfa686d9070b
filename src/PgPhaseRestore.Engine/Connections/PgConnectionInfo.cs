using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace PgPhaseRestore.Engine.Connections;

/// <summary>
/// A PostgreSQL connection as libpq understands it: a keyword=value string or a postgresql:// URI, then the
/// service it names (pg_service.conf), then the PG* environment variables filling what is still not given. Npgsql
/// connections and the pg_dump/pg_restore children reach the same server the same way: no host means the local
/// socket directory, passwords come from the string, the variables or the password file, and ssl, timeout,
/// options and host-list settings apply to both. The password is kept apart: it reaches child processes only
/// through a password file, and never appears in ToString, logs or arguments.
/// </summary>
public sealed class PgConnectionInfo
{
    private static readonly string[] Keywords =
        ["host", "hostaddr", "port", "dbname", "user", "password", "passfile", "service", "sslmode", "sslrootcert", "sslcert", "sslkey",
         "sslnegotiation", "application_name", "connect_timeout", "options", "target_session_attrs", "load_balance_hosts",
         "channel_binding", "require_auth", "gssencmode", "krbsrvname", "client_encoding", "keepalives", "keepalives_idle",
         "keepalives_interval"];

    /// <summary>libpq's variable for each keyword; they fill in after the string and the service.</summary>
    private static readonly (string Key, string Variable)[] Variables =
    [
        ("host", "PGHOST"), ("hostaddr", "PGHOSTADDR"), ("port", "PGPORT"), ("dbname", "PGDATABASE"), ("user", "PGUSER"),
        ("passfile", "PGPASSFILE"), ("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"), ("sslnegotiation", "PGSSLNEGOTIATION"), ("application_name", "PGAPPNAME"),
        ("connect_timeout", "PGCONNECT_TIMEOUT"), ("options", "PGOPTIONS"), ("target_session_attrs", "PGTARGETSESSIONATTRS"),
        ("load_balance_hosts", "PGLOADBALANCEHOSTS"), ("channel_binding", "PGCHANNELBINDING"), ("require_auth", "PGREQUIREAUTH"),
        ("gssencmode", "PGGSSENCMODE"), ("krbsrvname", "PGKRBSRVNAME"), ("client_encoding", "PGCLIENTENCODING"),
    ];

    /// <summary>Where libpq looks for the server's socket when no host is given (Debian's builds, then upstream's).</summary>
    internal static readonly string[] DefaultSocketDirectories = ["/var/run/postgresql", "/tmp"];

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _origins = new(StringComparer.Ordinal);
    private string? _home;
    private string? _appData;
    private string _passwordVariables = "PGPASSWORD";

    /// <summary>The host(s) connected to, a socket directory when none was given: what libpq resolves.</summary>
    // Made by Parse and the With* copies only.
    private PgConnectionInfo()
    {
    }

    /// <summary>The host or hosts, comma-separated, as libpq lists them.</summary>
    public string? Host => string.Join(',', Endpoints.Select(e => e.Host));

    /// <summary>The first host's port (default 5432).</summary>
    public int Port => int.TryParse(Endpoints[0].Port, out int p) ? p : 5432;

    /// <summary>The database named (dbname), if any.</summary>
    public string? Database => Get("dbname");

    /// <summary>The user named, if any.</summary>
    public string? User => Get("user");

    /// <summary>The sslmode, if set.</summary>
    public string? SslMode => Get("sslmode");

    /// <summary>The user libpq logs in as: the one given, else the operating-system user.</summary>
    public string EffectiveUser => User ?? Environment.UserName;

    /// <summary>The database libpq opens: the one given, else the one named like the user.</summary>
    public string EffectiveDatabase => string.IsNullOrEmpty(Database) ? EffectiveUser : Database;

    /// <summary>Read only inside the engine (password files, Npgsql), so no output object or serialiser can show it.</summary>
    [DebuggerBrowsable(DebuggerBrowsableState.Never)]
    internal string? Password { get; private set; }

    /// <summary>Where the password came from, for error messages ("the connection string", "the credential"...).</summary>
    internal string? PasswordSource { get; private set; }

    /// <summary>Whether a password was found for the connection (never the password itself).</summary>
    public bool HasPassword => !string.IsNullOrEmpty(Password);

    /// <summary>The variables the host reads a password from, as given to <see cref="Parse"/> ("DST_PGPASSWORD or PGPASSWORD").</summary>
    internal string PasswordVariablesText => _passwordVariables;

    /// <summary>The service the connection named (service= or PGSERVICE) and the file that defined it.</summary>
    internal string? Service { get; private set; }
    internal string? ServiceFile { get; private set; }

    internal string? Get(string key) => _values.GetValueOrDefault(key);

    /// <summary>Where a keyword's value came from: "the connection string", "service x (file)", or the variable.</summary>
    internal string? OriginOf(string key) => _origins.GetValueOrDefault(key);

    /// <summary>
    /// Parses a conninfo string or URI; empty input means "everything from the environment".
    /// <paramref name="passwordVariables"/> names, for error messages, the variables <paramref name="getenv"/>
    /// reads the password from (a host may map PGPASSWORD to its own, such as DST_PGPASSWORD).
    /// </summary>
    public static PgConnectionInfo Parse(string? conninfo, Func<string, string?>? getenv = null, string passwordVariables = "PGPASSWORD")
    {
        getenv ??= Environment.GetEnvironmentVariable;
        var info = new PgConnectionInfo { _passwordVariables = passwordVariables, _home = getenv("HOME"), _appData = getenv("APPDATA") };
        conninfo = conninfo?.Trim() ?? "";
        if (conninfo.StartsWith("postgresql://", StringComparison.Ordinal) || conninfo.StartsWith("postgres://", StringComparison.Ordinal))
            info.ParseUri(conninfo);
        else if (conninfo.Contains('='))
            info.ParseKeywords(conninfo);
        else if (conninfo.Length > 0)
            info._values["dbname"] = conninfo; // a bare database name, as psql accepts
        foreach (var key in info._values.Keys)
            info._origins[key] = "the connection string";
        if (info._values.Remove("password", out var pw))
            (info.Password, info.PasswordSource) = (pw, "the connection string");

        // libpq's order: the string, then the service it names, then the environment.
        var service = info._values.Remove("service", out var named) ? named : getenv("PGSERVICE");
        if (!string.IsNullOrEmpty(service))
            info.ApplyService(service, getenv);

        foreach (var (key, variable) in Variables)
        {
            if (info._values.ContainsKey(key) || getenv(variable) is not { Length: > 0 } value)
                continue;
            info._values[key] = key == "port" ? CheckPort(value, $"the {variable} variable") : value;
            info._origins[key] = variable;
        }
        if (info.Password is null && getenv("PGPASSWORD") is { Length: > 0 } envPassword)
            (info.Password, info.PasswordSource) = (envPassword, passwordVariables);
        return info;
    }

    private void ApplyService(string service, Func<string, string?> getenv)
    {
        var (values, file) = PgServiceFile.Read(service, getenv);
        var where = $"service \"{service}\" ({file})";
        Service = service;
        ServiceFile = file;
        foreach (var (key, value) in values)
        {
            var k = key == "database" ? "dbname" : key;
            if (Array.IndexOf(Keywords, k) < 0)
                throw new ArgumentException($"{where}: unknown keyword \"{key}\"");
            if (k == "password")
            {
                if (Password is null)
                    (Password, PasswordSource) = (value, where);
                continue;
            }
            if (_values.ContainsKey(k))
                continue;
            _values[k] = k == "port" ? CheckPort(value, where) : value;
            _origins[k] = where;
        }
    }

    private PgConnectionInfo Copy()
    {
        var copy = new PgConnectionInfo
        {
            Password = Password, PasswordSource = PasswordSource, Service = Service, ServiceFile = ServiceFile, Origin = Origin,
            _home = _home, _appData = _appData, _passwordVariables = _passwordVariables,
        };
        foreach (var (k, v) in _values)
            copy._values[k] = v;
        foreach (var (k, v) in _origins)
            copy._origins[k] = v;
        return copy;
    }

    /// <summary>The same connection to another database (the maintenance database, or a new target).</summary>
    public PgConnectionInfo WithDatabase(string database)
    {
        var copy = Copy();
        copy._values["dbname"] = database;
        return copy;
    }

    /// <summary>The same connection with another password (from a PSCredential, say).</summary>
    public PgConnectionInfo WithCredentials(string? user, string? password, string source = "the credential")
    {
        var copy = Copy();
        if (!string.IsNullOrEmpty(user))
            copy._values["user"] = user;
        copy.Password = password;
        copy.PasswordSource = string.IsNullOrEmpty(password) ? null : source;
        return copy;
    }

    /// <summary>
    /// What the host calls this connection (the cmdlet parameter or command option it came from), or null. The engine
    /// only carries it into the <see cref="PgConnectionException.Origin"/> of a failure to connect, so that each host
    /// can say which of its own parameters to change; the engine's messages never use it.
    /// </summary>
    public string? Origin { get; private set; }

    /// <summary>The same connection, named <paramref name="origin"/> by the host (<see cref="Origin"/>).</summary>
    public PgConnectionInfo WithOrigin(string? origin)
    {
        var copy = Copy();
        copy.Origin = origin;
        return copy;
    }

    /// <summary>One server of the host list: a host name or address and its port, or a socket directory.</summary>
    internal sealed record Endpoint(string Host, string Port, bool IsSocket, bool DefaultSocket)
    {
        public override string ToString() => Host.Contains(':') && !IsSocket ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
    }

    /// <summary>
    /// The servers tried in order, as libpq lists them: host (or hostaddr) items paired with port items (one port
    /// serving every host); an empty host is the local socket directory that holds this port's socket.
    /// </summary>
    internal IReadOnlyList<Endpoint> Endpoints
    {
        get
        {
            var hosts = Split(Get("host"));
            var addrs = Split(Get("hostaddr"));
            if (hosts.Count > 1 && addrs.Count > 1 && hosts.Count != addrs.Count)
                throw new ArgumentException($"connection string: {addrs.Count} hostaddr items do not pair with {hosts.Count} hosts");
            int count = Math.Max(1, Math.Max(hosts.Count, addrs.Count)); // no host at all is one empty host
            var ports = Split(Get("port"));
            if (ports.Count > 1 && ports.Count != count)
                throw new ArgumentException($"connection string: {ports.Count} ports do not pair with {count} hosts (give one port for all, or one per host)");
            var result = new List<Endpoint>(count);
            for (int i = 0; i < count; i++)
            {
                var host = i < hosts.Count ? hosts[i] : "";
                var addr = i < addrs.Count ? addrs[i] : "";
                var port = ports.Count == 0 ? "" : ports[ports.Count == 1 ? 0 : i];
                if (port.Length == 0)
                    port = "5432";
                if (host.Length == 0 && addr.Length == 0)
                    result.Add(LocalSocket(port));
                else if (host.StartsWith('/'))
                    result.Add(new Endpoint(host, port, true, DefaultSocketDirectories.Contains(host.TrimEnd('/'))));
                else
                    result.Add(new Endpoint(host.Length > 0 ? host : addr, port, false, false));
            }
            return result;
        }
    }

    private static List<string> Split(string? list) =>
        string.IsNullOrEmpty(list) ? [] : list.Split(',', StringSplitOptions.TrimEntries).ToList();

    /// <summary>The first default directory holding this port's socket; without one, the first that exists (libpq's default).</summary>
    private static Endpoint LocalSocket(string port)
    {
        if (OperatingSystem.IsWindows())
            return new Endpoint("localhost", port, false, false);
        var dir = DefaultSocketDirectories.FirstOrDefault(d => File.Exists(Path.Combine(d, ".s.PGSQL." + port)))
                  ?? DefaultSocketDirectories.FirstOrDefault(Directory.Exists) ?? DefaultSocketDirectories[0];
        return new Endpoint(dir, port, true, true);
    }

    /// <summary>A libpq conninfo string without the password, the host resolved as this connection resolves it.</summary>
    internal string ToLibpqString() => Conninfo(_values.Keys);

    /// <summary>
    /// The conninfo for a pg_dump or pg_restore child: options move to PGOPTIONS (<see cref="ChildOptions"/>) so
    /// that session settings add to them, and the passfile stays out when a held password goes through our own.
    /// </summary>
    internal string ToChildConninfo(bool ownApplicationName = false) =>
        Conninfo(_values.Keys.Where(k => k != "options" && !(k == "passfile" && HasPassword) && !(k == "application_name" && ownApplicationName)));

    /// <summary>The connection's options followed by the caller's PGOPTIONS, which thereby win for the same setting.</summary>
    internal string? ChildOptions(string? callerOptions) =>
        string.Join(' ', new[] { Get("options"), callerOptions }.Where(o => !string.IsNullOrWhiteSpace(o))) is { Length: > 0 } joined ? joined : null;

    private string Conninfo(IEnumerable<string> keys)
    {
        var sb = new StringBuilder();
        var list = keys.ToList();
        if (!list.Contains("host") && !list.Contains("hostaddr"))
            list.Insert(0, "host");
        foreach (var k in list)
        {
            var v = k == "host" ? ResolvedHostList() : _values[k];
            if (sb.Length > 0)
                sb.Append(' ');
            sb.Append(k).Append('=').Append(Quote(v));
        }
        return sb.ToString();
    }

    /// <summary>The host list with every empty item replaced by its socket directory, so children go where Npgsql goes.</summary>
    private string ResolvedHostList()
    {
        var hosts = Split(Get("host"));
        if (hosts.Count == 0 && Split(Get("hostaddr")).Count > 0)
            return "";
        var endpoints = Endpoints;
        return string.Join(',', endpoints.Select((e, i) => i < hosts.Count && hosts[i].Length > 0 ? hosts[i] : e.IsSocket ? e.Host : ""));
    }

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => !char.IsWhiteSpace(c) && c != '\'' && c != '\\')
            ? value
            : "'" + value.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    /// <summary>The password file libpq would read: passfile= or PGPASSFILE, else ~/.pgpass (%APPDATA%\postgresql\pgpass.conf on Windows).</summary>
    internal string? PassFilePath =>
        Get("passfile") is { Length: > 0 } given ? given
        : OperatingSystem.IsWindows() ? (_appData is null ? null : Path.Combine(_appData, "postgresql", "pgpass.conf"))
        : _home is null ? null : Path.Combine(_home, ".pgpass");

    /// <summary>The password file's answer for the first server that has a line, or the last refusal (null without a file to read).</summary>
    internal PassFileLookup? LookUpPassFile()
    {
        if (PassFilePath is not { } path)
            return null;
        PassFileLookup? last = null;
        foreach (var e in Endpoints)
        {
            // libpq looks a socket up by its directory, and as "localhost" when it is the default one.
            string[] names = e.IsSocket && e.DefaultSocket ? [e.Host, "localhost"] : [e.Host];
            last = PgPassFile.Find(path, names, e.Port, EffectiveDatabase, EffectiveUser);
            if (last.Password is not null)
                return last;
        }
        return last;
    }

    /// <summary>
    /// An Npgsql connection string for the same server, settings and password libpq would use.
    /// <paramref name="applicationName"/> is the engine's name for the session, used when the connection gives none.
    /// </summary>
    /// <param name="applicationName">The session's name unless the connection names one itself.</param>
    /// <param name="ownApplicationName">Use <paramref name="applicationName"/> even then: restore sessions are recognised by it.</param>
    internal string ToNpgsqlConnectionString(string applicationName = "pgphase", bool ownApplicationName = false)
    {
        var endpoints = Endpoints;
        var b = new NpgsqlConnectionStringBuilder
        {
            Database = EffectiveDatabase,
            Username = EffectiveUser,
            ApplicationName = ownApplicationName ? applicationName : Get("application_name") ?? applicationName,
            Pooling = false,
            Timeout = ConnectTimeout,
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
        b.Password = HasPassword ? Password : LookUpPassFile()?.Password;
        // Without one, Npgsql would read a password file of its own choosing (this process's PGPASSFILE or
        // ~/.pgpass, whatever the environment parsed, and without libpq's permission rule): give it none.
        if (b.Password is null && !OperatingSystem.IsWindows())
            b.Passfile = "/dev/null";

        if (endpoints.All(e => e.IsSocket))
            b.SslMode = Npgsql.SslMode.Disable; // libpq never uses SSL over a Unix socket
        else
            ApplySsl(b);

        if (Get("options") is { Length: > 0 } options)
            b.Options = options;
        if (Get("target_session_attrs") is { Length: > 0 } attrs)
            b["Target Session Attributes"] = attrs;
        if (Get("load_balance_hosts") is { } balance)
            b.LoadBalanceHosts = balance == "random";
        if (Get("channel_binding") is { Length: > 0 } binding)
            b["Channel Binding"] = binding;
        if (Get("require_auth") is { Length: > 0 } auth)
            b["Require Auth"] = auth;
        if (Get("gssencmode") is { Length: > 0 } gss)
            b["GSS Encryption Mode"] = gss;
        if (Get("krbsrvname") is { Length: > 0 } krb)
            b.KerberosServiceName = krb;
        if (Get("client_encoding") is { Length: > 0 } encoding)
            b.ClientEncoding = encoding;
        if (Get("keepalives") is "0")
            b.TcpKeepAlive = false;
        else if (Get("keepalives_idle") is { } idle && int.TryParse(idle, out int idleSeconds))
        {
            b.TcpKeepAlive = true;
            b.TcpKeepAliveTime = idleSeconds;
            if (Get("keepalives_interval") is { } interval && int.TryParse(interval, out int intervalSeconds))
                b.TcpKeepAliveInterval = intervalSeconds;
        }
        return b.ConnectionString;
    }

    /// <summary>libpq's connect_timeout: unset waits 30 s here (libpq would wait forever), 0 forever, below 2 means 2.</summary>
    internal int ConnectTimeout =>
        Get("connect_timeout") is not { } text ? 30
        : int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int t) ? t <= 0 ? 0 : Math.Max(2, t)
        : throw new ArgumentException($"{OriginOf("connect_timeout")}: connect_timeout \"{text}\" is not a number of seconds");

    /// <summary>The root certificate libpq checks the server against: sslrootcert, else ~/.postgresql/root.crt when it exists.</summary>
    internal string? RootCertificateFile =>
        Get("sslrootcert") ?? (_home is not null && File.Exists(Path.Combine(_home, ".postgresql", "root.crt")) ? Path.Combine(_home, ".postgresql", "root.crt") : null);

    private void ApplySsl(NpgsqlConnectionStringBuilder b)
    {
        var mode = SslMode ?? "prefer";
        var root = RootCertificateFile;
        bool verify = mode is "verify-ca" or "verify-full";
        if (verify && root is null)
            throw new ArgumentException(
                $"cannot connect to {this}: sslmode={mode} checks the server's certificate against a root certificate, and none was given: " +
                "give sslrootcert=<file> with the certificate authority of the server (managed platforms publish theirs), or sslrootcert=system for the system's trusted roots");
        if (verify && root != "system" && !File.Exists(root))
            throw new ArgumentException($"cannot connect to {this}: the root certificate file \"{root}\" (sslrootcert) does not exist");
        b.SslMode = mode switch
        {
            "disable" => Npgsql.SslMode.Disable,
            "allow" => Npgsql.SslMode.Allow,
            "prefer" => Npgsql.SslMode.Prefer,
            // As in libpq, require with a root certificate at hand checks the chain too.
            "require" => root is not null && root != "system" && File.Exists(root) ? Npgsql.SslMode.VerifyCA : Npgsql.SslMode.Require,
            "verify-ca" => Npgsql.SslMode.VerifyCA,
            "verify-full" => Npgsql.SslMode.VerifyFull,
            _ => throw new ArgumentException($"{OriginOf("sslmode")}: sslmode \"{mode}\" is not one of disable, allow, prefer, require, verify-ca, verify-full"),
        };
        if (root is not null && root != "system" && File.Exists(root))
            b.RootCertificate = root;
        if (Get("sslnegotiation") is { Length: > 0 } negotiation)
            b["SSL Negotiation"] = negotiation;

        // libpq sends a client certificate only when its file exists (given, or ~/.postgresql/postgresql.crt).
        var cert = Get("sslcert") ?? (_home is null ? null : Path.Combine(_home, ".postgresql", "postgresql.crt"));
        if (cert is null || !File.Exists(cert))
            return;
        var key = Get("sslkey") ?? (_home is null ? Path.ChangeExtension(cert, ".key") : Path.Combine(_home, ".postgresql", "postgresql.key"));
        if (!File.Exists(key))
            throw new ArgumentException($"cannot connect to {this}: the client certificate \"{cert}\" has no private key file \"{key}\" (sslkey)");
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(key) & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute |
                                                                         UnixFileMode.GroupWrite | UnixFileMode.GroupExecute)) != 0)
            throw new ArgumentException($"cannot connect to {this}: the private key file \"{key}\" may be read by others; libpq refuses it too (chmod 0600 it)");
        b.SslCertificate = cert;
        b.SslKey = key;
    }

    /// <summary>Opens an Npgsql connection; a failure says where it tried and what to do (<see cref="PgConnectionException"/>).</summary>
    internal async Task<NpgsqlConnection> OpenAsync(string applicationName, CancellationToken ct)
    {
        var conn = new NpgsqlConnection(ToNpgsqlConnectionString(applicationName));
        try
        {
            await OpenAsync(conn, ct).ConfigureAwait(false);
            return conn;
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens a connection made from this one's connection string, describing a failure as <see cref="PgConnectionException"/>.</summary>
    internal async Task OpenAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        try
        {
            await conn.OpenAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ConnectionFailure.IsConnectionFailure(ex, ct))
        {
            throw await ConnectionFailure.DescribeAsync(this, ex, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Where, without secrets: user@host:port/database, every server of a host list.</summary>
    public override string ToString()
    {
        string where;
        try
        {
            where = string.Join(',', Endpoints.Select(e => e.ToString()));
        }
        catch (ArgumentException)
        {
            where = $"{Get("host")}:{Get("port")}";
        }
        return $"{EffectiveUser}@{where}/{EffectiveDatabase}";
    }

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
                _values["host"] = string.Join(',', hosts);
            if (ports.Any(p => p.Length > 0))
                _values["port"] = string.Join(',', ports);
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

    private static (string Host, string Port) HostAndPort(string item, string shown)
    {
        if (item.StartsWith('['))
        {
            int close = item.IndexOf(']');
            if (close < 0)
                throw new ArgumentException($"{shown}: the host's \"[\" has no closing \"]\" (an IPv6 address is written [::1] or [::1]:5432)");
            var host = item[1..close];
            if (close + 1 == item.Length)
                return (host, "");
            if (item[close + 1] != ':')
                throw new ArgumentException($"{shown}: \"{item[(close + 1)..]}\" after the host \"[{host}]\" is not \":port\"");
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
            if (item.Length > 5 || !item.All(char.IsAsciiDigit) || int.Parse(item, CultureInfo.InvariantCulture) is < 1 or > 65535)
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
