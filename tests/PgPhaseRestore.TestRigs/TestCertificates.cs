namespace PgPhaseRestore.TestRigs;

/// <summary>
/// A certificate authority of its own made with openssl in a folder, and certificates it signs: a server certificate
/// for given names and addresses, client certificates for given roles. Keys are written mode 0600.
/// </summary>
public sealed class TestCertificates
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly string _dir;
    private readonly string _name;

    private TestCertificates(string dir, string name)
    {
        _dir = dir;
        _name = name;
    }

    /// <summary>The authority's certificate: what a client gives as sslrootcert.</summary>
    public string CaFile => Path.Combine(_dir, $"{_name}-ca.crt");
    private string CaKey => Path.Combine(_dir, $"{_name}-ca.key");

    public static TestCertificates CreateAuthority(string dir, string name)
    {
        Directory.CreateDirectory(dir);
        var ca = new TestCertificates(dir, name);
        OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3", "-subj", $"/CN={name} test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", ca.CaKey, "-out", ca.CaFile);
        File.SetUnixFileMode(ca.CaKey, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return ca;
    }

    /// <summary>A server certificate for the names (DNS names or IP addresses), the first as its common name.</summary>
    public (string Certificate, string Key) IssueServer(string fileName, params string[] names)
    {
        var san = string.Join(',', names.Select(n => System.Net.IPAddress.TryParse(n, out _) ? $"IP:{n}" : $"DNS:{n}"));
        return Issue(fileName, names[0], $"subjectAltName={san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
    }

    /// <summary>A client certificate whose common name is the role it logs in as (cert authentication).</summary>
    public (string Certificate, string Key) IssueClient(string fileName, string role) =>
        Issue(fileName, role, "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n");

    private (string, string) Issue(string fileName, string commonName, string extensions)
    {
        var key = Path.Combine(_dir, fileName + ".key");
        var csr = Path.Combine(_dir, fileName + ".csr");
        var cert = Path.Combine(_dir, fileName + ".crt");
        var ext = Path.Combine(_dir, fileName + ".ext");
        File.WriteAllText(ext, extensions);
        OpenSsl("req", "-newkey", "rsa:2048", "-nodes", "-subj", $"/CN={commonName}", "-keyout", key, "-out", csr);
        OpenSsl("x509", "-req", "-in", csr, "-CA", CaFile, "-CAkey", CaKey, "-CAcreateserial", "-days", "3", "-extfile", ext, "-out", cert);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (cert, key);
    }

    private static void OpenSsl(params string[] args) => ChildProcess.RunChecked("openssl", args, Limit);
}
