using Npgsql;

namespace PgPhaseRestore.Engine.Connections;

/// <summary>
/// libpq's SSL settings on an Npgsql connection: sslmode, the root certificate (sslrootcert, else
/// ~/.postgresql/root.crt), sslnegotiation, and a client certificate and key where their files exist, refused as
/// libpq refuses them (a verifying mode without a root, a key others may read).
/// </summary>
internal static class SslSettings
{
    /// <summary>The root certificate libpq checks the server against: sslrootcert, else ~/.postgresql/root.crt when it exists.</summary>
    public static string? RootCertificateFile(PgConnectionInfo info) =>
        info.Get("sslrootcert") ?? (info.Home is { } home && File.Exists(Path.Combine(home, ".postgresql", "root.crt")) ? Path.Combine(home, ".postgresql", "root.crt") : null);

    /// <summary>Sets <paramref name="b"/>'s SSL options from the connection's.</summary>
    public static void Apply(PgConnectionInfo info, NpgsqlConnectionStringBuilder b)
    {
        var mode = info.SslMode ?? "prefer";
        var root = info.RootCertificateFile;
        bool verify = mode is "verify-ca" or "verify-full";
        if (verify && root is null)
            throw new PgPhaseException(
                $"cannot connect to {info}: sslmode={mode} checks the server's certificate against a root certificate, and none was given: " +
                "give sslrootcert=<file> with the certificate authority of the server (managed platforms publish theirs), or sslrootcert=system for the system's trusted roots", PgPhaseErrorCode.InvalidInput);
        if (verify && root != "system" && !File.Exists(root))
            throw new PgPhaseException($"cannot connect to {info}: the root certificate file \"{root}\" (sslrootcert) does not exist", PgPhaseErrorCode.InvalidInput);
        b.SslMode = mode switch
        {
            "disable" => Npgsql.SslMode.Disable,
            "allow" => Npgsql.SslMode.Allow,
            "prefer" => Npgsql.SslMode.Prefer,
            // As in libpq, require with a root certificate at hand checks the chain too.
            "require" => root is not null && root != "system" && File.Exists(root) ? Npgsql.SslMode.VerifyCA : Npgsql.SslMode.Require,
            "verify-ca" => Npgsql.SslMode.VerifyCA,
            "verify-full" => Npgsql.SslMode.VerifyFull,
            _ => throw new PgPhaseException($"{info.OriginOf("sslmode")}: sslmode \"{mode}\" is not one of disable, allow, prefer, require, verify-ca, verify-full", PgPhaseErrorCode.InvalidInput),
        };
        if (root is not null && root != "system" && File.Exists(root))
            b.RootCertificate = root;
        if (info.Get("sslnegotiation") is { Length: > 0 } negotiation)
            NpgsqlSettings.Set(info, "sslnegotiation", () => b["SSL Negotiation"] = negotiation);

        // libpq sends a client certificate only when its file exists (given, or ~/.postgresql/postgresql.crt).
        var cert = info.Get("sslcert") ?? (info.Home is null ? null : Path.Combine(info.Home, ".postgresql", "postgresql.crt"));
        if (cert is null || !File.Exists(cert))
            return;
        var key = info.Get("sslkey") ?? (info.Home is null ? Path.ChangeExtension(cert, ".key") : Path.Combine(info.Home, ".postgresql", "postgresql.key"));
        if (!File.Exists(key))
            throw new PgPhaseException($"cannot connect to {info}: the client certificate \"{cert}\" has no private key file \"{key}\" (sslkey)", PgPhaseErrorCode.InvalidInput);
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(key) & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute |
                                                                         UnixFileMode.GroupWrite | UnixFileMode.GroupExecute)) != 0)
            throw new PgPhaseException($"cannot connect to {info}: the private key file \"{key}\" may be read by others; libpq refuses it too (chmod 0600 it)", PgPhaseErrorCode.InvalidInput);
        b.SslCertificate = cert;
        b.SslKey = key;
    }
}
