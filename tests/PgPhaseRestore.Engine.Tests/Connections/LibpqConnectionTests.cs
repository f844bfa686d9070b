using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Processes;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Connections;

/// <summary>
/// Each libpq keyword and variable the engine honours, against a real server: the connection opens through Npgsql
/// (and, where the child tools read it differently, through psql or pg_restore run the engine's way), and settings
/// take effect. Failures name user@host:port/database and what to do.
/// </summary>
[Collection(LocalServerCollection.Name)]
public sealed class LibpqConnectionTests
{
    private readonly LocalServerFixture _f;

    public LibpqConnectionTests(LocalServerFixture fixture) => _f = fixture;

    private int Port => _f.Port;
    private Dictionary<string, string> WithPassword() => new() { ["PGPASSWORD"] = _f.AppPassword };

    private static async Task<T> ScalarAsync<T>(PgConnectionInfo info, string sql)
    {
        await using var conn = await info.OpenAsync("pgphase test", CancellationToken.None);
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<PgPhaseException> RefusedAsync(PgConnectionInfo info) =>
        await Assert.ThrowsAsync<PgPhaseException>(() => ScalarAsync<int>(info, "SELECT 1"));

    /// <summary>psql run as the engine runs pg_restore and pg_dump: conninfo and environment from the connection.</summary>
    private async Task<(int Exit, string Out, IReadOnlyList<string> Errors)> PsqlAsync(PgConnectionInfo info, string sql,
        IDictionary<string, string>? environment = null)
    {
        var psql = new PgTool("psql", _f.Cluster.ClientTool("psql"), 0, "psql");
        var output = new StringBuilder();
        var run = await ToolProcess.RunAsync(psql, ["-X", "-At", "-d", info.ToLibpqString(), "-c", sql], info, null, CancellationToken.None,
            environment, readStdout: async (stdout, ct) => output.Append(await new StreamReader(stdout).ReadToEndAsync(ct)));
        return (run.ExitCode, output.ToString().Trim(), run.ErrorLines);
    }

    [Fact]
    public async Task No_host_finds_the_socket_in_a_default_directory_and_logs_in_by_peer()
    {
        var info = LocalServerFixture.Parse("dbname=postgres user=postgres", new Dictionary<string, string> { ["PGPORT"] = Port.ToString() });
        Assert.Equal("/tmp", info.Host);
        Assert.StartsWith("host=/tmp ", info.ToLibpqString()); // the children go where Npgsql goes
        Assert.True(await ScalarAsync<bool>(info, "SELECT inet_server_addr() IS NULL AND current_user = 'postgres'"));
        var child = await PsqlAsync(info, "SELECT coalesce(inet_server_addr()::text, 'socket')");
        Assert.True(child.Exit == 0, string.Join('\n', child.Errors));
        Assert.Equal("socket", child.Out);
    }

    [Fact]
    public async Task PGHOST_names_the_socket_directory()
    {
        var info = LocalServerFixture.Parse("dbname=postgres user=postgres",
            new Dictionary<string, string> { ["PGHOST"] = _f.Cluster.SocketDirectory!, ["PGPORT"] = Port.ToString() });
        Assert.True(await ScalarAsync<bool>(info, "SELECT inet_server_addr() IS NULL"));
    }

    [Fact]
    public async Task No_socket_for_the_port_names_the_directories_searched()
    {
        int dead = FreePort.Next();
        var ex = await RefusedAsync(LocalServerFixture.Parse("dbname=postgres user=postgres", new Dictionary<string, string> { ["PGPORT"] = dead.ToString() }));
        Assert.StartsWith($"cannot connect to postgres@/", ex.Message);
        Assert.Contains($":{dead}/postgres: no server socket", ex.Message);
        Assert.Contains($"no socket .s.PGSQL.{dead} in /var/run/postgresql or /tmp (libpq's defaults)", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task Passfile_keyword_gives_the_password_to_Npgsql_and_to_the_children()
    {
        using var dir = _f.NewFolder();
        var passfile = _f.WritePassFile(dir.File("pass"), "127.0.0.1");
        var info = LocalServerFixture.Parse($"host=127.0.0.1 port={Port} dbname=postgres user={LocalServerFixture.AppUser} passfile={passfile}");
        Assert.False(info.HasPassword);
        Assert.Equal(LocalServerFixture.AppUser, await ScalarAsync<string>(info, "SELECT current_user::text"));
        var child = await PsqlAsync(info, "SELECT current_user");
        Assert.True(child.Exit == 0, string.Join('\n', child.Errors));
        Assert.Equal(LocalServerFixture.AppUser, child.Out);
    }

    [Fact]
    public async Task PGPASSFILE_variable_names_the_password_file()
    {
        using var dir = _f.NewFolder();
        var passfile = _f.WritePassFile(dir.File("pass"), "localhost");
        var info = LocalServerFixture.Parse($"host=localhost port={Port} dbname=postgres user={LocalServerFixture.AppUser} sslmode=disable",
            new Dictionary<string, string> { ["PGPASSFILE"] = passfile });
        Assert.Equal(LocalServerFixture.AppUser, await ScalarAsync<string>(info, "SELECT current_user::text"));
    }

    [Fact]
    public async Task The_pgpass_file_in_the_home_folder_is_read()
    {
        using var home = _f.NewFolder();
        _f.WritePassFile(home.File(".pgpass"), "*", database: "postgres");
        var info = LocalServerFixture.Parse($"host=127.0.0.1 port={Port} dbname=postgres user={LocalServerFixture.AppUser}",
            new Dictionary<string, string> { ["HOME"] = home.Path });
        Assert.Equal(LocalServerFixture.AppUser, await ScalarAsync<string>(info, "SELECT current_user::text"));
    }

    [Fact]
    public async Task A_password_file_others_may_read_is_ignored_as_libpq_ignores_it()
    {
        using var home = _f.NewFolder();
        var passfile = _f.WritePassFile(home.File(".pgpass"), "127.0.0.1");
        File.SetUnixFileMode(passfile, (UnixFileMode)0b110_100_100);
        var ex = await RefusedAsync(LocalServerFixture.Parse($"host=127.0.0.1 port={Port} dbname=postgres user={LocalServerFixture.AppUser}",
            new Dictionary<string, string> { ["HOME"] = home.Path }));
        Assert.Contains($"the password file {passfile} (ignored: group or others may read it (chmod 0600 it))", ex.Message);
    }

    [Fact]
    public async Task No_password_names_the_connection_and_every_source_tried()
    {
        using var home = _f.NewFolder();
        var info = PgConnectionInfo.Parse($"host=127.0.0.1 port={Port} dbname=postgres user={LocalServerFixture.AppUser}",
            k => k == "HOME" ? home.Path : null, passwordVariables: "DST_PGPASSWORD or PGPASSWORD");
        var ex = await RefusedAsync(info);
        Assert.Equal(
            $"cannot connect to app_user@127.0.0.1:{Port}/postgres: the server asks for a password and none was found " +
            $"(tried the connection string; DST_PGPASSWORD or PGPASSWORD; the password file {home.Path}/.pgpass (does not exist)); " +
            $"set DST_PGPASSWORD (or PGPASSWORD), or add the line 127.0.0.1:{Port}:postgres:app_user:<password> to {home.Path}/.pgpass (mode 0600)",
            ex.Message);
    }

    [Fact]
    public async Task A_refused_password_names_where_it_came_from_and_never_shows_it()
    {
        var info = LocalServerFixture.Parse($"host=127.0.0.1 port={Port} dbname=postgres user={LocalServerFixture.AppUser}",
            new Dictionary<string, string> { ["PGPASSWORD"] = "Wrong-Secret-1" });
        var ex = await RefusedAsync(info);
        Assert.Contains($"cannot connect to app_user@127.0.0.1:{Port}/postgres: password authentication failed for user \"app_user\"; the password came from PGPASSWORD", ex.Message);
        Assert.DoesNotContain("Wrong-Secret-1", ex.ToString());
        Assert.Equal("28P01", ex.SqlState);
    }

    [Fact]
    public async Task A_missing_database_is_named_with_what_to_do()
    {
        var info = LocalServerFixture.Parse($"host=127.0.0.1 port={Port} dbname=no_such_db user={LocalServerFixture.AppUser}", WithPassword());
        var ex = await RefusedAsync(info);
        Assert.StartsWith($"cannot connect to app_user@127.0.0.1:{Port}/no_such_db: database \"no_such_db\" does not exist; name an existing database", ex.Message);
    }

    [Fact]
    public async Task Child_tool_connection_failures_are_described_like_Npgsql_ones()
    {
        using var home = _f.NewFolder();
        var info = LocalServerFixture.Parse($"host=127.0.0.1 port={Port} dbname=postgres user={LocalServerFixture.AppUser}",
            new Dictionary<string, string> { ["HOME"] = home.Path });
        var pgRestore = new PgTool("pg_restore", _f.Cluster.ClientTool("pg_restore"), 0, "pg_restore");
        var run = await ToolProcess.RunAsync(pgRestore, ["-d", info.ToLibpqString(), "--schema-only", _f.DumpPath], info, null, CancellationToken.None,
            new Dictionary<string, string> { ["HOME"] = home.Path });
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(run.ErrorLines, l => l.StartsWith(
            $"pg_restore: error: cannot connect to app_user@127.0.0.1:{Port}/postgres: the server asks for a password and none was found (tried the connection string; PGPASSWORD; the password file {home.Path}/.pgpass (does not exist))",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task Service_keyword_reads_PGSERVICEFILE()
    {
        using var dir = _f.NewFolder();
        var passfile = _f.WritePassFile(dir.File("pass"), "127.0.0.1");
        var serviceFile = dir.File("services.conf");
        File.WriteAllText(serviceFile, $"# services\n[other]\nport=1\n\n[restore_target]\nhost=127.0.0.1\nport={Port}\ndbname=postgres\nuser={LocalServerFixture.AppUser}\npassfile={passfile}\n");
        var info = LocalServerFixture.Parse("service=restore_target", new Dictionary<string, string> { ["PGSERVICEFILE"] = serviceFile });
        Assert.Equal($"app_user@127.0.0.1:{Port}/postgres", info.ToString());
        Assert.Equal(LocalServerFixture.AppUser, await ScalarAsync<string>(info, "SELECT current_user::text"));
        var child = await PsqlAsync(info, "SELECT current_database()");
        Assert.True(child.Exit == 0, string.Join('\n', child.Errors));
        Assert.Equal("postgres", child.Out);
    }

    [Fact]
    public async Task PGSERVICE_variable_reads_the_service_file_in_the_home_folder()
    {
        using var home = _f.NewFolder();
        File.WriteAllText(home.File(".pg_service.conf"), $"[home_service]\nhost=127.0.0.1\nport={Port}\ndbname=postgres\nuser={LocalServerFixture.AppUser}\n");
        var info = LocalServerFixture.Parse("", new Dictionary<string, string>
        {
            ["HOME"] = home.Path, ["PGSERVICE"] = "home_service", ["PGPASSWORD"] = _f.AppPassword,
        });
        Assert.Equal(Port, await ScalarAsync<int>(info, "SELECT inet_server_port()"));
    }

    [Fact]
    public async Task A_service_in_PGSYSCONFDIR_is_found_when_the_user_file_lacks_it()
    {
        using var home = _f.NewFolder();
        using var sysconf = _f.NewFolder();
        File.WriteAllText(home.File(".pg_service.conf"), "[unrelated]\nport=1\n");
        File.WriteAllText(sysconf.File("pg_service.conf"), $"[system_service]\nhost=127.0.0.1\nport={Port}\ndbname=postgres\nuser={LocalServerFixture.AppUser}\n");
        var info = LocalServerFixture.Parse("service=system_service", new Dictionary<string, string>
        {
            ["HOME"] = home.Path, ["PGSYSCONFDIR"] = sysconf.Path, ["PGPASSWORD"] = _f.AppPassword,
        });
        Assert.Equal(Port, await ScalarAsync<int>(info, "SELECT inet_server_port()"));
    }

    [Fact]
    public async Task The_string_beats_the_service_and_the_service_beats_the_variables()
    {
        using var dir = _f.NewFolder();
        var serviceFile = dir.File("services.conf");
        File.WriteAllText(serviceFile, $"[svc]\nhost=127.0.0.1\nport=1\nuser={LocalServerFixture.AppUser}\ndbname=postgres\n");
        var info = LocalServerFixture.Parse($"service=svc port={Port}", new Dictionary<string, string>
        {
            ["PGSERVICEFILE"] = serviceFile, ["PGUSER"] = "nobody", ["PGPASSWORD"] = _f.AppPassword,
        });
        Assert.Equal(LocalServerFixture.AppUser, await ScalarAsync<string>(info, "SELECT current_user::text"));
    }

    [Fact]
    public void An_unknown_service_names_the_files_searched()
    {
        var ex = Assert.Throws<PgPhaseException>(() => LocalServerFixture.Parse("service=nowhere",
            new Dictionary<string, string> { ["HOME"] = "/nonexistent", ["PGSYSCONFDIR"] = "/nonexistent/etc" }));
        Assert.Equal("service \"nowhere\": no [nowhere] section in /nonexistent/.pg_service.conf or /nonexistent/etc/pg_service.conf", ex.Message);
    }

    [Theory]
    [InlineData("require", true)]
    [InlineData("prefer", true)]
    [InlineData("disable", false)]
    public async Task Sslmode_decides_whether_the_session_is_encrypted(string mode, bool encrypted)
    {
        var info = LocalServerFixture.Parse($"host=127.0.0.1 port={Port} dbname=postgres user={LocalServerFixture.AppUser} sslmode={mode}", WithPassword());
        Assert.Equal(encrypted, await ScalarAsync<bool>(info, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
        var child = await PsqlAsync(info, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
        Assert.Equal(encrypted ? "t" : "f", child.Out);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    public async Task Verify_full_with_the_right_root_certificate_connects(string host)
    {
        var info = LocalServerFixture.Parse($"host={host} port={Port} dbname=postgres user={LocalServerFixture.AppUser} sslmode=verify-full sslrootcert={_f.Ca.CaFile}", WithPassword());
        Assert.True(await ScalarAsync<bool>(info, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
    }

    [Fact]
    public async Task PGSSLROOTCERT_and_PGSSLMODE_variables_are_honoured()
    {
        var env = new Dictionary<string, string> { ["PGSSLMODE"] = "verify-full", ["PGSSLROOTCERT"] = _f.Ca.CaFile, ["PGPASSWORD"] = _f.AppPassword };
        var info = LocalServerFixture.Parse($"host=localhost port={Port} dbname=postgres user={LocalServerFixture.AppUser}", env);
        Assert.True(await ScalarAsync<bool>(info, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
    }

    [Fact]
    public async Task Verify_full_with_a_wrong_root_certificate_fails_naming_the_host_and_the_problem()
    {
        var info = LocalServerFixture.Parse($"host=localhost port={Port} dbname=postgres user={LocalServerFixture.AppUser} sslmode=verify-full sslrootcert={_f.WrongCa.CaFile}", WithPassword());
        var ex = await RefusedAsync(info);
        Assert.Equal(
            $"cannot connect to app_user@localhost:{Port}/postgres: the server's certificate \"CN=localhost\" (issued by \"CN=pgphase test CA\") " +
            $"is not signed by a certificate authority in {_f.WrongCa.CaFile} (sslrootcert); " +
            $"give sslrootcert the certificate authority that signed the server's certificate (now {_f.WrongCa.CaFile}); managed platforms publish theirs",
            ex.Message);
    }

    [Fact]
    public async Task Verify_full_with_a_wrong_root_certificate_fails_the_same_way_in_pg_restore()
    {
        var info = LocalServerFixture.Parse($"host=localhost port={Port} dbname=postgres user={LocalServerFixture.AppUser} sslmode=verify-full sslrootcert={_f.WrongCa.CaFile}", WithPassword());
        var pgRestore = new PgTool("pg_restore", _f.Cluster.ClientTool("pg_restore"), 0, "pg_restore");
        var run = await ToolProcess.RunAsync(pgRestore, ["-d", info.ToLibpqString(), "--schema-only", _f.DumpPath], info, null, CancellationToken.None);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(run.ErrorLines, l => l.StartsWith(
            $"pg_restore: error: cannot connect to app_user@localhost:{Port}/postgres: the server's certificate \"CN=localhost\" (issued by \"CN=pgphase test CA\") is not signed by a certificate authority in {_f.WrongCa.CaFile} (sslrootcert)",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verify_full_without_any_root_certificate_says_how_to_give_one()
    {
        using var home = _f.NewFolder();
        var info = LocalServerFixture.Parse($"host=localhost port={Port} dbname=postgres user={LocalServerFixture.AppUser} sslmode=verify-full",
            new Dictionary<string, string> { ["HOME"] = home.Path, ["PGPASSWORD"] = _f.AppPassword });
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => ScalarAsync<int>(info, "SELECT 1"));
        Assert.StartsWith($"cannot connect to app_user@localhost:{Port}/postgres: sslmode=verify-full checks the server's certificate against a root certificate, and none was given: give sslrootcert=", ex.Message);
    }

    [Fact]
    public async Task Sslcert_and_sslkey_log_in_with_a_client_certificate()
    {
        var (cert, key) = _f.ClientCertificate;
        var info = LocalServerFixture.Parse($"host=localhost port={Port} dbname=postgres user={LocalServerFixture.CertUser} sslmode=verify-full sslrootcert={_f.Ca.CaFile} sslcert={cert} sslkey={key}");
        Assert.False(info.HasPassword);
        Assert.Equal(LocalServerFixture.CertUser, await ScalarAsync<string>(info, "SELECT current_user::text"));
        var child = await PsqlAsync(info, "SELECT current_user");
        Assert.True(child.Exit == 0, string.Join('\n', child.Errors));
        Assert.Equal(LocalServerFixture.CertUser, child.Out);
    }

    [Fact]
    public async Task Connect_timeout_bounds_the_wait_for_a_server_that_does_not_answer()
    {
        var ok = LocalServerFixture.Parse($"host=127.0.0.1 port={Port} dbname=postgres user={LocalServerFixture.AppUser} connect_timeout=5", WithPassword());
        Assert.Equal(1, await ScalarAsync<int>(ok, "SELECT 1"));

        // A listener that accepts and never answers: the startup exchange waits until the timeout.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            int port = ((IPEndPoint)silent.LocalEndpoint).Port;
            var info = LocalServerFixture.Parse($"host=127.0.0.1 port={port} dbname=postgres user={LocalServerFixture.AppUser} connect_timeout=2 sslmode=disable", WithPassword());
            var clock = Stopwatch.StartNew();
            var ex = await RefusedAsync(info);
            Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 10);
            Assert.StartsWith($"cannot connect to app_user@127.0.0.1:{port}/postgres: no connection within 2 s; the server did not answer within connect_timeout (2 s)", ex.Message);
        }
        finally
        {
            silent.Stop();
        }
    }

    [Fact]
    public async Task Application_name_names_the_session()
    {
        var info = LocalServerFixture.Parse($"host=127.0.0.1 port={Port} dbname=postgres user={LocalServerFixture.AppUser} application_name=nightly-restore", WithPassword());
        Assert.Equal("nightly-restore", await ScalarAsync<string>(info, "SELECT current_setting('application_name')"));
        Assert.Equal("nightly-restore", (await PsqlAsync(info, "SHOW application_name")).Out);
    }

    [Fact]
    public async Task Options_set_session_settings_and_a_childs_own_settings_add_to_them()
    {
        var info = LocalServerFixture.Parse($"host=127.0.0.1 port={Port} dbname=postgres user={LocalServerFixture.AppUser} options='-c work_mem=7777kB -c lock_timeout=4321'", WithPassword());
        Assert.Equal("7777kB", await ScalarAsync<string>(info, "SELECT current_setting('work_mem')"));
        // What the engine passes a child in PGOPTIONS (restore session settings) comes after the connection's options.
        var child = await PsqlAsync(info, "SELECT current_setting('work_mem') || ' ' || current_setting('lock_timeout') || ' ' || current_setting('statement_timeout')",
            new Dictionary<string, string> { ["PGOPTIONS"] = "-c statement_timeout=1234 -c lock_timeout=5678" });
        Assert.True(child.Exit == 0, string.Join('\n', child.Errors));
        Assert.Equal("7777kB 5678ms 1234ms", child.Out);
    }

    [Fact]
    public async Task PGOPTIONS_variable_is_honoured()
    {
        var info = LocalServerFixture.Parse($"host=127.0.0.1 port={Port} dbname=postgres user={LocalServerFixture.AppUser}",
            new Dictionary<string, string> { ["PGPASSWORD"] = _f.AppPassword, ["PGOPTIONS"] = "-c work_mem=3333kB" });
        Assert.Equal("3333kB", await ScalarAsync<string>(info, "SELECT current_setting('work_mem')"));
    }

    [Fact]
    public async Task A_host_list_with_a_port_list_tries_each_server_in_turn()
    {
        int dead = FreePort.Next();
        var info = LocalServerFixture.Parse($"host=127.0.0.1,localhost port={dead},{Port} dbname=postgres user={LocalServerFixture.AppUser}", WithPassword());
        Assert.Equal($"app_user@127.0.0.1:{dead},localhost:{Port}/postgres", info.ToString());
        Assert.Equal(Port, await ScalarAsync<int>(info, "SELECT inet_server_port()"));
        var child = await PsqlAsync(info, "SELECT inet_server_port()");
        Assert.Equal(Port.ToString(), child.Out);
    }

    [Fact]
    public async Task A_uri_with_several_hosts_tries_each_server_in_turn()
    {
        int dead = FreePort.Next();
        var info = LocalServerFixture.Parse($"postgresql://{LocalServerFixture.AppUser}@127.0.0.1:{dead},localhost:{Port}/postgres?sslmode=require", WithPassword());
        Assert.Equal($"host=127.0.0.1,localhost port={dead},{Port}", string.Join(' ', info.ToLibpqString().Split(' ').Where(p => p.StartsWith("host=") || p.StartsWith("port="))));
        Assert.Equal(Port, await ScalarAsync<int>(info, "SELECT inet_server_port()"));
        Assert.Equal(Port.ToString(), (await PsqlAsync(info, "SELECT inet_server_port()")).Out);
    }

    [Fact]
    public async Task When_every_server_of_a_list_refuses_all_are_named()
    {
        int dead1 = FreePort.Next(), dead2 = FreePort.Next();
        var info = LocalServerFixture.Parse($"host=127.0.0.1,127.0.0.1 port={dead1},{dead2} dbname=postgres user={LocalServerFixture.AppUser}", WithPassword());
        var ex = await RefusedAsync(info);
        Assert.StartsWith($"cannot connect to app_user@127.0.0.1:{dead1},127.0.0.1:{dead2}/postgres: connection refused; nothing accepts connections at 127.0.0.1:{dead1}, 127.0.0.1:{dead2}", ex.Message);
    }
}
