using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PgPhaseRestore.Engine.Connections;

/// <summary>
/// Says what is wrong with a server's certificate when a verified SSL connection failed: Npgsql reports only that
/// the certificate was rejected, libpq that verification failed. The probe asks the server for SSL as a client
/// does, takes its certificate without trusting it, and checks it against the root certificate the connection names.
/// </summary>
internal static class CertificateProbe
{
    private const int SslRequestCode = 80877103;

    /// <summary>One sentence on the first TCP server whose certificate could be read, or null when none could.</summary>
    public static async Task<string?> ExamineAsync(PgConnectionInfo info, string? rootFile, bool checkName, CancellationToken ct)
    {
        foreach (var e in info.Endpoints.Where(e => !e.IsSocket))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(info.ConnectTimeout is > 0 and < 10 ? info.ConnectTimeout : 10));
            try
            {
                var cert = await FetchAsync(e.Host, int.Parse(e.Port), timeout.Token).ConfigureAwait(false);
                if (cert is null)
                    return $"the server at {e} does not offer SSL";
                using (cert)
                    return Judge(cert, e.Host, rootFile, checkName);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or AuthenticationException)
            {
                if (ct.IsCancellationRequested)
                    throw;
            }
        }
        return null;
    }

    private static async Task<X509Certificate2?> FetchAsync(string host, int port, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host, port, ct).ConfigureAwait(false);
        var stream = tcp.GetStream();
        var request = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(request, 8);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(4), SslRequestCode);
        await stream.WriteAsync(request, ct).ConfigureAwait(false);
        var answer = new byte[1];
        if (await stream.ReadAsync(answer, ct).ConfigureAwait(false) != 1 || answer[0] != (byte)'S')
            return null;
        X509Certificate2? seen = null;
        await using var ssl = new SslStream(stream, leaveInnerStreamOpen: false, (_, cert, _, _) =>
        {
            if (cert is not null)
                seen = new X509Certificate2(cert);
            return true; // only looked at, nothing is sent over this connection
        });
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, ct).ConfigureAwait(false);
        return seen;
    }

    private static string? Judge(X509Certificate2 cert, string host, string? rootFile, bool checkName)
    {
        var subject = $"\"{cert.Subject}\" (issued by \"{cert.Issuer}\")";
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (rootFile is not null && rootFile != "system")
        {
            var roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPemFile(rootFile);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                return $"the root certificate file {rootFile} (sslrootcert) cannot be read as PEM certificates: {ex.Message}";
            }
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        }
        var trustedBy = rootFile is null or "system" ? "the system's trusted roots" : $"{rootFile} (sslrootcert)";
        if (!chain.Build(cert))
        {
            var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (f, s) => f | s.Status);
            if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
                return cert.NotAfter < DateTime.Now
                    ? $"the server's certificate {subject} expired on {cert.NotAfter:yyyy-MM-dd HH:mm}"
                    : $"the server's certificate {subject} is not valid before {cert.NotBefore:yyyy-MM-dd HH:mm}";
            if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
                return $"the server's certificate {subject} is not signed by a certificate authority in {trustedBy}";
            return $"the server's certificate {subject} does not verify against {trustedBy}: " +
                   string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Distinct());
        }
        if (checkName && !cert.MatchesHostname(host))
            return $"the server's certificate {subject} is for {Names(cert)}, not for \"{host}\" (sslmode=verify-full checks the host name)";
        return null;
    }

    private static string Names(X509Certificate2 cert)
    {
        var names = new List<string>();
        foreach (var ext in cert.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            names.AddRange(ext.EnumerateDnsNames());
            names.AddRange(ext.EnumerateIPAddresses().Select(a => a.ToString()));
        }
        if (names.Count == 0)
            names.Add(cert.GetNameInfo(X509NameType.SimpleName, false));
        return string.Join(", ", names.Select(n => $"\"{n}\""));
    }
}
