using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.RegularExpressions;
using Npgsql;

namespace PgPhaseRestore.Engine.Connections;

/// <summary>
/// Turns a failed connection (Npgsql's exception, or the line libpq made pg_dump or pg_restore print) into one line:
/// user@host:port/database, what went wrong, and what to do about it. Never shows a password.
/// </summary>
internal static partial class ConnectionFailure
{
    public static bool IsConnectionFailure(Exception ex, CancellationToken ct) =>
        ex is NpgsqlException or TimeoutException or IOException or SocketException or AuthenticationException
        || (ex is OperationCanceledException && !ct.IsCancellationRequested);

    public static async Task<PgPhaseException> DescribeAsync(PgConnectionInfo info, Exception ex, CancellationToken ct)
    {
        var (reason, hint) = Classify(info, ex);
        if (IsCertificateFailure(ex) && await CertificateDetailAsync(info, ct).ConfigureAwait(false) is { } detail)
            (reason, hint) = (detail, CertificateHint(info));
        return PgPhaseException.Connection(info.ToString(), Detail(reason, hint), KindOf(ex), ex, info.Origin);
    }

    /// <summary>A refusal by the server is of its SQLSTATE's kind; anything else kept the connection from being made.</summary>
    private static PgPhaseErrorKind KindOf(Exception ex)
    {
        if (Chain(ex).OfType<PostgresException>().FirstOrDefault() is { } pg)
            return PgPhaseErrors.KindOfSqlState(pg.SqlState) is var kind && kind != PgPhaseErrorKind.Failed ? kind : PgPhaseErrorKind.Connection;
        // Npgsql refuses to go on without a password before the server says anything, with no code of its own.
        return IsMissingPassword(ex.Message) ? PgPhaseErrorKind.Authentication : PgPhaseErrorKind.Connection;
    }

    /// <summary>
    /// A libpq connection failure line of a child ("pg_restore: error: connection to server at ... failed: ...")
    /// rewritten the same way; other lines are returned as they are.
    /// </summary>
    public static async Task<string> RewriteToolLineAsync(PgConnectionInfo info, string line, CancellationToken ct)
    {
        var m = LibpqFailure().Match(line);
        if (!m.Success)
            return line;
        var text = m.Groups["reason"].Value.Trim();
        var (reason, hint) = ClassifyText(info, StripSeverity(text));
        if (text.Contains("certificate verify failed", StringComparison.Ordinal) || text.Contains("does not match host name", StringComparison.Ordinal))
        {
            try
            {
                if (await CertificateDetailAsync(info, ct).ConfigureAwait(false) is { } detail)
                    (reason, hint) = (detail, CertificateHint(info));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Without the probe's detail the line still names the server and libpq's reason.
            }
        }
        return $"{m.Groups["tool"].Value}: error: {Line(info, reason, hint)}";
    }

    // libpq 14 and later: 'connection to server at "h" (addr), port p failed: ...' or 'on socket "..." failed: ...';
    // older: 'could not connect to server: ...' / 'could not connect to database x: ...'.
    [GeneratedRegex(@"^(?<tool>[\w.]+): error: (?:connection to server (?:at|on) .*? failed: |could not connect to (?:server|database \S+): )(?<reason>.*)$")]
    private static partial Regex LibpqFailure();

    private static string StripSeverity(string text) => Regex.Replace(text, @"^(FATAL|ERROR):\s+", "");

    private static string Line(PgConnectionInfo info, string reason, string? hint) => $"cannot connect to {info}: {Detail(reason, hint)}";

    /// <summary>One line: what went wrong, then what to do.</summary>
    private static string Detail(string reason, string? hint)
    {
        var text = reason.Trim().TrimEnd('.') + (hint is null ? "" : $"; {hint}");
        return string.Join(' ', text.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()));
    }

    private static (string Reason, string? Hint) Classify(PgConnectionInfo info, Exception ex)
    {
        if (Chain(ex).OfType<PostgresException>().FirstOrDefault() is { } pg)
            return ClassifyServer(info, pg);
        var chain = Chain(ex).ToList();
        if (chain.OfType<SocketException>().FirstOrDefault() is { } socket)
        {
            var sockets = info.Endpoints.All(e => e.IsSocket);
            return socket.SocketErrorCode switch
            {
                SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => (socket.Message, DnsHint(info)),
                SocketError.TimedOut => ("no answer", TimeoutHint(info)),
                _ when sockets => ($"no server socket ({socket.Message})", SocketHint(info)),
                SocketError.ConnectionRefused => ("connection refused", RefusedHint(info)),
                _ => (socket.Message, RefusedHint(info)),
            };
        }
        if (chain.Any(e => e is TimeoutException || e is OperationCanceledException))
            return ($"no connection within {info.ConnectTimeout} s", TimeoutHint(info));
        if (chain.OfType<AuthenticationException>().FirstOrDefault() is { } ssl)
            return ($"the SSL handshake failed ({ssl.Message})", CertificateHint(info));
        return ClassifyText(info, chain.Last().Message);
    }

    /// <summary>A refusal by the server, by its SQLSTATE, with the advice for it.</summary>
    private static (string Reason, string? Hint) ClassifyServer(PgConnectionInfo info, PostgresException pg) => pg.SqlState switch
    {
        PostgresErrorCodes.InvalidPassword => PasswordRefused(info, pg.MessageText),
        PostgresErrorCodes.InvalidCatalogName => (pg.MessageText, NoDatabaseHint),
        PostgresErrorCodes.InsufficientPrivilege => (pg.MessageText, ConnectHint(info)),
        PostgresErrorCodes.TooManyConnections => (pg.MessageText, NoSlotsHint),
        PostgresErrorCodes.CannotConnectNow => (pg.MessageText, StartingHint),
        // pg_hba.conf, peer authentication and an unknown role share one code (28000): only the words tell them apart.
        _ => ClassifyText(info, pg.MessageText),
    };

    private static IEnumerable<Exception> Chain(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            yield return e;
    }

    private static bool IsMissingPassword(string text) =>
        text.Contains("no password supplied", StringComparison.OrdinalIgnoreCase) || text.Contains("No password has been provided", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// What libpq (in a child's error line) or a client library said, with the advice for it: there is no code to go
    /// by there, only the words.
    /// </summary>
    private static (string Reason, string? Hint) ClassifyText(PgConnectionInfo info, string text)
    {
        bool Has(string s) => text.Contains(s, StringComparison.OrdinalIgnoreCase);
        if (IsMissingPassword(text))
            return NoPassword(info);
        if (Has("password authentication failed"))
            return PasswordRefused(info, text);
        if (Has("no pg_hba.conf entry"))
            return (text, "the server's pg_hba.conf admits no such connection: ask its administrator to allow it" +
                          (Has("no encryption") ? ", or connect with SSL (sslmode=require, or verify-full with sslrootcert=<the platform's CA file>)" : ""));
        if (Has("Peer authentication failed"))
            return (text, $"over the local socket the server checks that the operating-system user \"{Environment.UserName}\" may log in as \"{info.EffectiveUser}\": " +
                          $"run as that operating-system user (sudo -u {info.EffectiveUser}), or connect over TCP (host=localhost) with a password");
        if (Regex.IsMatch(text, "role \".*\" does not exist"))
            return (text, info.User is null
                ? $"give user=<role>: without one, the operating-system user name \"{info.EffectiveUser}\" is used"
                : "check user= (or the user variable)");
        if (Regex.IsMatch(text, "database \".*\" does not exist"))
            return (text, NoDatabaseHint);
        if (Has("permission denied for database"))
            return (text, ConnectHint(info));
        if (Has("too many connections") || Has("remaining connection slots"))
            return (text, NoSlotsHint);
        if (Has("the database system is starting up") || Has("shutting down"))
            return (text, StartingHint);
        if (Has("Connection refused"))
            return ("connection refused", RefusedHint(info));
        if (Has("No such file or directory") && info.Endpoints.Any(e => e.IsSocket))
            return ($"no server socket ({text})", SocketHint(info));
        if (Has("could not translate host name") || Has("Name or service not known") || Has("No such host"))
            return (text, DnsHint(info));
        if (Has("timeout expired") || Has("timed out"))
            return ($"no connection within {info.ConnectTimeout} s", TimeoutHint(info));
        if (Has("root certificate file") || Has("certificate verify failed") || Has("does not match host name") || Has("certificate"))
            return (text, CertificateHint(info));
        if (Has("does not support SSL") || Has("SSL connection requested"))
            return (text, "the server does not offer SSL: use sslmode=prefer or disable, or turn ssl on at the server");
        return (text, null);
    }

    private const string NoDatabaseHint = "name an existing database (dbname=), or create it first";
    private const string NoSlotsHint = "the server has no free connection slots: end idle sessions, use fewer parallel jobs, or raise max_connections";
    private const string StartingHint = "the server is starting or stopping: try again shortly";

    private static string ConnectHint(PgConnectionInfo info) =>
        $"the role needs CONNECT on the database (GRANT CONNECT ON DATABASE ... TO {info.EffectiveUser})";

    private static (string, string?) PasswordRefused(PgConnectionInfo info, string text) =>
        (text, info.PasswordSource is { } from
            ? $"the password came from {from}: correct it there"
            : info.LookUpPassFile() is { Password: not null } found ? $"the password came from the password file {found.Path}: correct its line" : null);

    private static (string, string?) NoPassword(PgConnectionInfo info)
    {
        var tried = new List<string> { info.Service is null ? "the connection string" : $"the connection string and service \"{info.Service}\" ({info.ServiceFile})", info.PasswordVariablesText };
        var lookup = info.LookUpPassFile();
        tried.Add(lookup is null ? "no password file (HOME is not set)" : $"the password file {lookup.Path} ({lookup.Outcome})");
        var file = lookup?.Path ?? "~/.pgpass";
        var first = info.Endpoints[0];
        var line = $"{(first.IsSocket && first.DefaultSocket ? "localhost" : first.Host)}:{first.Port}:{info.EffectiveDatabase}:{info.EffectiveUser}:<password>";
        return ($"the server asks for a password and none was found (tried {string.Join("; ", tried)})",
                $"set {info.PasswordVariablesText.Replace(" or ", " (or ")}{(info.PasswordVariablesText.Contains(" or ") ? ")" : "")}, or add the line {line} to {file} (mode 0600)");
    }

    private static string SocketHint(PgConnectionInfo info)
    {
        var dirs = info.Endpoints.Where(e => e.IsSocket).Select(e => e.DefaultSocket && info.Get("host") is null
            ? $"{string.Join(" or ", PgEndpoint.DefaultSocketDirectories)} (libpq's defaults)" : e.Host).Distinct();
        return $"no socket .s.PGSQL.{info.Port} in {string.Join(", ", dirs)}: is the server running on this machine, on that port? " +
               "For a server elsewhere give host= (or PGHOST)";
    }

    private static string RefusedHint(PgConnectionInfo info) =>
        $"nothing accepts connections at {string.Join(", ", info.Endpoints.Select(e => e.ToString()))}: check the host and port, and that the server listens there (listen_addresses, firewall)";

    private static string DnsHint(PgConnectionInfo info) =>
        $"the host name {string.Join(", ", info.Endpoints.Where(e => !e.IsSocket).Select(e => $"\"{e.Host}\""))} is not known here: check its spelling and this machine's DNS";

    private static string TimeoutHint(PgConnectionInfo info) =>
        $"the server did not answer within connect_timeout ({info.ConnectTimeout} s): check the host, port and firewall, or raise connect_timeout";

    private static string CertificateHint(PgConnectionInfo info) =>
        info.RootCertificateFile is { } root && root != "system"
            ? $"give sslrootcert the certificate authority that signed the server's certificate (now {root}); managed platforms publish theirs"
            : "give sslrootcert=<file> with the certificate authority that signed the server's certificate (managed platforms publish theirs)";

    private static bool IsCertificateFailure(Exception ex) =>
        Chain(ex).Any(e => e is AuthenticationException || e.Message.Contains("certificate", StringComparison.OrdinalIgnoreCase));

    private static async Task<string?> CertificateDetailAsync(PgConnectionInfo info, CancellationToken ct)
    {
        if (info.SslMode is "disable" or "allow" or "prefer" || (info.SslMode == "require" && info.RootCertificateFile is null))
            return null;
        try
        {
            return await CertificateProbe.ExamineAsync(info, info.RootCertificateFile, info.SslMode == "verify-full", ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or PgPhaseException { Code: PgPhaseErrorCode.InvalidInput })
        {
            return null;
        }
    }
}
