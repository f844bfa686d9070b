using System.Diagnostics;
using System.Globalization;

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

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _origins = new(StringComparer.Ordinal);
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

    // The origin of a value written in the connection string itself.
    private const string InTheString = "the connection string";

    /// <summary>Where the password came from, for error messages ("the connection string", "the credential"...).</summary>
    internal string? PasswordSource { get; private set; }

    /// <summary>Whether a password was found for the connection (never the password itself).</summary>
    public bool HasPassword => !string.IsNullOrEmpty(Password);

    /// <summary>The variables the host reads a password from, as given to <see cref="Parse"/> ("DST_PGPASSWORD or PGPASSWORD").</summary>
    internal string PasswordVariablesText => _passwordVariables;

    /// <summary>The service the connection named (service= or PGSERVICE) and the file that defined it.</summary>
    internal string? Service { get; private set; }
    internal string? ServiceFile { get; private set; }

    /// <summary>The keywords the connection sets (never the password or the service).</summary>
    internal IEnumerable<string> Keys => _values.Keys;

    /// <summary>HOME and APPDATA as the connection was parsed with: where libpq looks for its files.</summary>
    internal string? Home { get; private init; }
    internal string? AppData { get; private init; }

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
        var info = new PgConnectionInfo { _passwordVariables = passwordVariables, Home = getenv("HOME"), AppData = getenv("APPDATA") };
        conninfo = conninfo?.Trim() ?? "";
        if (conninfo.Length > 0)
        {
            foreach (var (key, value) in ConninfoText.Parse(conninfo))
                info._values[key] = value;
        }
        foreach (var key in info._values.Keys)
            info._origins[key] = InTheString;
        if (info._values.Remove("password", out var pw))
            (info.Password, info.PasswordSource) = (pw, InTheString);

        // libpq's order: the string, then the service it names, then the environment.
        var service = info._values.Remove("service", out var named) ? named : getenv("PGSERVICE");
        if (!string.IsNullOrEmpty(service))
            info.ApplyService(service, getenv);

        foreach (var (key, variable) in Variables)
        {
            if (info._values.ContainsKey(key) || getenv(variable) is not { Length: > 0 } value)
                continue;
            info._values[key] = key == "port" ? ConninfoText.CheckPort(value, $"the {variable} variable") : value;
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
            if (!ConninfoText.IsKeyword(k))
                throw new PgPhaseException($"{where}: unknown keyword \"{key}\"", PgPhaseErrorCode.InvalidInput);
            if (k == "password")
            {
                if (Password is null)
                    (Password, PasswordSource) = (value, where);
                continue;
            }
            if (_values.ContainsKey(k))
                continue;
            _values[k] = k == "port" ? ConninfoText.CheckPort(value, where) : value;
            _origins[k] = where;
        }
    }

    private PgConnectionInfo Copy()
    {
        var copy = new PgConnectionInfo
        {
            Password = Password, PasswordSource = PasswordSource, Service = Service, ServiceFile = ServiceFile, Origin = Origin,
            Home = Home, AppData = AppData, _passwordVariables = _passwordVariables,
        };
        foreach (var (k, v) in _values)
            copy._values[k] = v;
        foreach (var (k, v) in _origins)
            copy._origins[k] = v;
        return copy;
    }

    /// <summary>
    /// The same connection, naming a user only when the connection string did: one that came from a credential or
    /// the environment is not written into a string handed on (a database listing's, piped to a backup with its own).
    /// </summary>
    internal PgConnectionInfo WithWrittenUserOnly()
    {
        var copy = Copy();
        if (copy.OriginOf("user") != InTheString)
        {
            copy._values.Remove("user");
            copy._origins.Remove("user");
        }
        return copy;
    }

    /// <summary>The same connection to another database (the maintenance database, or a new target).</summary>
    public PgConnectionInfo WithDatabase(string database)
    {
        var copy = Copy();
        copy._values["dbname"] = database;
        return copy;
    }

    /// <summary>
    /// The same connection with the user and password of <paramref name="source"/> (a PSCredential, say). Refused when
    /// the connection string itself names another user or holds a password: which one applies would be a guess, and
    /// a script would log in as a role its string does not name.
    /// </summary>
    public PgConnectionInfo WithCredentials(string? user, string? password, string source = "the credential")
    {
        if (!string.IsNullOrEmpty(user) && OriginOf("user") == InTheString && Get("user") != user)
            throw new PgPhaseException($"connection string: names user \"{Get("user")}\", but {source} is for user \"{user}\": name the user in one of them only",
                PgPhaseErrorCode.InvalidInput);
        if (!string.IsNullOrEmpty(password) && PasswordSource == InTheString)
            throw new PgPhaseException($"connection string: holds a password, and {source} gives one too: give the password in one of them only",
                PgPhaseErrorCode.InvalidInput);
        var copy = Copy();
        // The same user the string names stays the string's; any other is the credential's.
        if (!string.IsNullOrEmpty(user) && Get("user") != user)
            (copy._values["user"], copy._origins["user"]) = (user, source);
        // A credential without a password leaves the one found (a password file, PGPASSWORD) where it is.
        if (!string.IsNullOrEmpty(password))
            (copy.Password, copy.PasswordSource) = (password, source);
        return copy;
    }

    /// <summary>
    /// What the host calls this connection (the cmdlet parameter or command option it came from), or null. The engine
    /// only carries it into the <see cref="PgPhaseException.Origin"/> of a failure to connect, so that each host
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

    /// <summary>
    /// The servers tried in order, as libpq lists them: host (or hostaddr) items paired with port items (one port
    /// serving every host); an empty host is the local socket directory that holds this port's socket.
    /// </summary>
    internal IReadOnlyList<PgEndpoint> Endpoints => PgEndpoint.List(Get("host"), Get("hostaddr"), Get("port"));

    /// <summary>libpq's connect_timeout: unset waits 30 s here (libpq would wait forever), 0 forever, below 2 means 2.</summary>
    internal int ConnectTimeout =>
        Get("connect_timeout") is not { } text ? 30
        : int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int t) ? t <= 0 ? 0 : Math.Max(2, t)
        : throw new PgPhaseException($"{OriginOf("connect_timeout")}: connect_timeout \"{text}\" is not a number of seconds", PgPhaseErrorCode.InvalidInput);

    /// <summary>The root certificate libpq checks the server against: sslrootcert, else ~/.postgresql/root.crt when it exists.</summary>
    internal string? RootCertificateFile => SslSettings.RootCertificateFile(this);

    /// <summary>Where, without secrets: user@host:port/database, every server of a host list.</summary>
    public override string ToString()
    {
        string where;
        try
        {
            where = string.Join(',', Endpoints.Select(e => e.ToString()));
        }
        catch (PgPhaseException)
        {
            where = $"{Get("host")}:{Get("port")}";
        }
        return $"{EffectiveUser}@{where}/{EffectiveDatabase}";
    }
}
