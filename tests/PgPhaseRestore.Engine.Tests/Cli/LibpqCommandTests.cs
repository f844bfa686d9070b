using PgPhaseRestore.Engine.Tests.Connections;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>
/// `pgphase` as a separate process reaching servers the way psql would: the local socket with peer authentication
/// as the postgres OS user, a password file, a service, and sslmode=verify-full against a server whose certificate
/// a test CA signed (Npgsql for the listing and the engine's own connections, pg_restore for the phases).
/// </summary>
[Collection(LocalServerCollection.Name)]
public sealed class LibpqCommandTests
{
    private readonly LocalServerFixture _f;

    public LibpqCommandTests(LocalServerFixture fixture) => _f = fixture;

    /// <summary>Nothing of the test run's own connection settings, the journals in <paramref name="journals"/>.</summary>
    private static Dictionary<string, string?> CleanEnvironment(string journals, string? home = null)
    {
        var env = new Dictionary<string, string?> { ["PGPHASE_JOURNAL_DIR"] = journals };
        foreach (var prefix in new[] { "", "DST_", "SRC_" })
            foreach (var name in new[] { "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "DBNAME", "PGDATABASE", "PGSERVICE", "PGPASSFILE", "PGSSLMODE" })
                env[prefix + name] = null;
        if (home is not null)
            env["HOME"] = home;
        return env;
    }

    private long Items(string database) => _f.Cluster.Scalar<long>(database, "SELECT count(*) FROM items");

    private static string OneLine(ChildProcess.Result r)
    {
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, r.StdErr);
        return lines[0];
    }

    [Fact]
    public void Restore_as_the_postgres_os_user_goes_through_the_default_socket_with_peer_authentication()
    {
        using var journals = _f.NewFolder();
        var database = "peer_" + Guid.NewGuid().ToString("N")[..8];
        var env = CleanEnvironment(journals.Path);
        env["PGPORT"] = _f.Port.ToString(); // no host: libpq's default socket directories, where the cluster's socket is in /tmp
        ChildProcess.Result r;
        if (_f.Cluster.OsUser is { } osUser)
        {
            ChildProcess.RunChecked("chown", [osUser, journals.Path], TimeSpan.FromSeconds(30));
            r = PgPhaseCli.RunAs(osUser, env, "restore", _f.DumpPath, "--target", $"dbname={database}", "--create");
        }
        else
        {
            r = PgPhaseCli.Run(env, "restore", _f.DumpPath, "--target", $"dbname={database} user=postgres", "--create");
        }
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        Assert.Contains("Phase 4 PostData: Succeeded", r.StdOut);
        Assert.Equal(500, Items(database));
        // Over TCP the server (ssl on) would have encrypted the session and asked for a password; none of the
        // target's sessions, the engine's or pg_restore's, did either.
        var sessions = _f.PgPhaseSessions(database);
        Assert.Contains(sessions, l => l.Contains("application_name=pgphase phase 1"));
        Assert.All(sessions, l => Assert.DoesNotContain("SSL enabled", l));
    }

    [Fact]
    public void Restore_with_a_passfile_in_the_target()
    {
        using var dir = _f.NewFolder();
        var passfile = _f.WritePassFile(dir.File("pass"), "127.0.0.1");
        var database = "passfile_" + Guid.NewGuid().ToString("N")[..8];
        var r = PgPhaseCli.Run(CleanEnvironment(dir.Path, home: dir.Path), "restore", _f.DumpPath, "--create", "--no-owner",
            "--target", $"host=127.0.0.1 port={_f.Port} user={LocalServerFixture.AppUser} dbname={database} passfile={passfile}");
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        Assert.Equal(500, Items(database));
    }

    [Fact]
    public void Restore_with_a_service_target()
    {
        using var dir = _f.NewFolder();
        var passfile = _f.WritePassFile(dir.File("pass"), "localhost");
        var database = "service_" + Guid.NewGuid().ToString("N")[..8];
        var services = dir.File("pg_service.conf");
        File.WriteAllText(services, $"[nightly]\nhost=localhost\nport={_f.Port}\nuser={LocalServerFixture.AppUser}\ndbname={database}\npassfile={passfile}\n");
        var env = CleanEnvironment(dir.Path, home: dir.Path);
        env["PGSERVICEFILE"] = services;
        var r = PgPhaseCli.Run(env, "restore", _f.DumpPath, "--create", "--no-owner", "--target", "service=nightly");
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        Assert.Equal(500, Items(database));
    }

    [Fact]
    public void Databases_through_verify_full_with_the_right_and_a_wrong_root_certificate()
    {
        using var dir = _f.NewFolder();
        var env = CleanEnvironment(dir.Path, home: dir.Path);
        env["SRC_PGPASSWORD"] = _f.AppPassword;
        string Server(string root) => $"host=localhost port={_f.Port} user={LocalServerFixture.AppUser} sslmode=verify-full sslrootcert={root}";

        var ok = PgPhaseCli.Run(env, "databases", "--server", Server(_f.Ca.CaFile), "--names-only");
        Assert.True(ok.ExitCode == 0, ok.StdErr);
        Assert.Contains("sample", ok.StdOut.Split('\n'));

        var wrong = PgPhaseCli.Run(env, "databases", "--server", Server(_f.WrongCa.CaFile), "--names-only");
        Assert.Equal(1, wrong.ExitCode);
        Assert.StartsWith($"pgphase: cannot connect to app_user@localhost:{_f.Port}/postgres: the server's certificate \"CN=localhost\" (issued by \"CN=pgphase test CA\") " +
                          $"is not signed by a certificate authority in {_f.WrongCa.CaFile} (sslrootcert); give sslrootcert", OneLine(wrong));
        Assert.DoesNotContain(_f.AppPassword, wrong.StdErr + wrong.StdOut);
    }

    [Fact]
    public void Restore_through_verify_full_end_to_end_and_refused_with_a_wrong_root_certificate()
    {
        using var dir = _f.NewFolder();
        var env = CleanEnvironment(dir.Path, home: dir.Path);
        env["DST_PGPASSWORD"] = _f.AppPassword;
        var database = "tls_" + Guid.NewGuid().ToString("N")[..8];
        string Target(string root) => $"host=localhost port={_f.Port} user={LocalServerFixture.AppUser} dbname={database} sslmode=verify-full sslrootcert={root}";

        var r = PgPhaseCli.Run(env, "restore", _f.DumpPath, "--create", "--no-owner", "--target", Target(_f.Ca.CaFile));
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        Assert.Equal(500, Items(database));
        // Every session on the target, pg_restore's for each phase included, was encrypted. Auto builds the one
        // index after its table's data (a phase 3 session), so phase 2 has nothing to run.
        var sessions = _f.PgPhaseSessions(database);
        foreach (var phase in new[] { 1, 3, 4 })
            Assert.Contains(sessions, l => l.Contains($"application_name=pgphase phase {phase} "));
        Assert.All(sessions, l => Assert.Contains("SSL enabled", l));

        var other = "tls_" + Guid.NewGuid().ToString("N")[..8];
        var wrong = PgPhaseCli.Run(env, "restore", _f.DumpPath, "--create", "--no-owner", "--quiet", "--target", Target(_f.WrongCa.CaFile).Replace(database, other));
        Assert.Equal(1, wrong.ExitCode);
        Assert.StartsWith($"pgphase: cannot connect to app_user@localhost:{_f.Port}/postgres: the server's certificate \"CN=localhost\" (issued by \"CN=pgphase test CA\") " +
                          $"is not signed by a certificate authority in {_f.WrongCa.CaFile} (sslrootcert)", OneLine(wrong));
    }
}
