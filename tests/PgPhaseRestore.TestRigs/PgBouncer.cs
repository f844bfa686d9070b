using System.Diagnostics;
using System.Net.Sockets;

namespace PgPhaseRestore.TestRigs;

/// <summary>
/// A throwaway PgBouncer in front of a test cluster, on a free loopback port, in the pool mode asked for. Runs as
/// the cluster's OS user when the tests run as root (PgBouncer refuses root). Stopped and removed on dispose.
/// </summary>
public sealed class PgBouncer : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    public PgBouncer(PostgresCluster cluster, string poolMode, IEnumerable<(string User, string Password)> users)
    {
        var binary = ChildProcess.OnPath("pgbouncer") ?? (File.Exists("/usr/sbin/pgbouncer") ? "/usr/sbin/pgbouncer" : null)
            ?? throw new InvalidOperationException("pgbouncer not found: install it (apt-get install pgbouncer, as scripts/setup.sh does)");
        _dir = Directory.CreateTempSubdirectory("pgphase-pgbouncer-").FullName;
        Port = FreePort.Next();
        File.WriteAllLines(Path.Combine(_dir, "users.txt"), users.Select(u => $"\"{u.User}\" \"{u.Password.Replace("\"", "\"\"")}\""));
        File.WriteAllText(Path.Combine(_dir, "pgbouncer.ini"), $"""
            [databases]
            * = host={cluster.Host} port={cluster.Port}

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = {Port}
            unix_socket_dir =
            auth_type = trust
            auth_file = {_dir}/users.txt
            pool_mode = {poolMode}
            max_client_conn = 200
            default_pool_size = 20
            ignore_startup_parameters = extra_float_digits,options
            logfile = {_dir}/pgbouncer.log
            pidfile = {_dir}/pgbouncer.pid
            """);
        var ini = Path.Combine(_dir, "pgbouncer.ini");
        var psi = new ProcessStartInfo(cluster.OsUser is null ? binary : "runuser") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        if (cluster.OsUser is not null)
        {
            ChildProcess.RunChecked("chown", ["-R", cluster.OsUser, _dir], TimeSpan.FromSeconds(10));
            foreach (var a in new[] { "-u", cluster.OsUser, "--", binary })
                psi.ArgumentList.Add(a);
        }
        psi.ArgumentList.Add(ini);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start pgbouncer");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!Accepts())
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"pgbouncer did not start: {Log}");
            Thread.Sleep(100);
        }
    }

    public string Host => "127.0.0.1";
    public int Port { get; }

    public string Log => File.Exists(Path.Combine(_dir, "pgbouncer.log")) ? File.ReadAllText(Path.Combine(_dir, "pgbouncer.log")) : "";

    private bool Accepts()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(Host, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
