using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Tests.Connections;

/// <summary>A connection that cannot be meant as written is refused, naming the keyword and value or the URI, never the password.</summary>
public sealed class ConnectionInfoTests
{
    private static string Refused(string conninfo, Func<string, string?>? getenv = null) =>
        Assert.Throws<PgPhaseException>(() => PgConnectionInfo.Parse(conninfo, getenv ?? (_ => null))).Message;

    [Theory]
    [InlineData("host=db port=abc", "abc")]
    [InlineData("host=db port=0", "0")]
    [InlineData("host=db port=65536", "65536")]
    [InlineData("host=db port=-5432", "-5432")]
    [InlineData("host=db port=5432x", "5432x")]
    [InlineData("host=db port='54 32'", "54 32")]
    public void A_port_that_is_not_a_port_number_is_refused(string conninfo, string value)
    {
        Assert.Equal($"connection string: port \"{value}\" is not a port number from 1 to 65535", Refused(conninfo));
    }

    [Fact]
    public void One_bad_item_of_a_port_list_is_named()
    {
        Assert.Equal("connection string: port \"5432,x1\" (\"x1\") is not a port number from 1 to 65535", Refused("host=a,b port=5432,x1"));
    }

    [Theory]
    [InlineData("host=db port=5433", 5433)]
    [InlineData("host=db port=65535", 65535)]
    [InlineData("postgresql://db:6543/app", 6543)]
    [InlineData("postgresql://[::1]:6544/app", 6544)]
    [InlineData("postgresql://db/app", 5432)]
    [InlineData("postgresql://db:/app", 5432)]
    public void Valid_ports_are_kept(string conninfo, int port)
    {
        Assert.Equal(port, PgConnectionInfo.Parse(conninfo, _ => null).Port);
    }

    [Fact]
    public void A_port_list_for_several_hosts_is_passed_on()
    {
        var info = PgConnectionInfo.Parse("host=a,b port=5432,5433 dbname=x", _ => null);
        Assert.Contains("port=5432,5433", info.ToLibpqString());
    }

    [Fact]
    public void A_bad_pgport_variable_is_named()
    {
        Assert.Equal("the PGPORT variable: port \"fivefour\" is not a port number from 1 to 65535",
            Refused("dbname=app", k => k == "PGPORT" ? "fivefour" : null));
    }

    [Fact]
    public void An_explicit_port_wins_over_a_bad_pgport_variable()
    {
        Assert.Equal(6000, PgConnectionInfo.Parse("port=6000", k => k == "PGPORT" ? "junk" : null).Port);
    }

    [Theory]
    [InlineData("postgres://host:port/", "postgres://host:port/: port \"port\" is not a port number from 1 to 65535")]
    [InlineData("postgresql://db:99999/app", "postgresql://db:99999/app: port \"99999\" is not a port number from 1 to 65535")]
    [InlineData("postgresql://[bad", "postgresql://[bad: the host's \"[\" has no closing \"]\" (an IPv6 address is written [::1] or [::1]:5432)")]
    [InlineData("postgresql://[::1/app", "postgresql://[::1/app: the host's \"[\" has no closing \"]\" (an IPv6 address is written [::1] or [::1]:5432)")]
    [InlineData("postgresql://[::1]5432/app", "postgresql://[::1]5432/app: \"5432\" after the host \"[::1]\" is not \":port\"")]
    [InlineData("postgresql://db/app%zz", "postgresql://db/app%zz: \"%zz\" is not a percent-encoded character (%XX)")]
    [InlineData("postgresql://db/app?colour=blue", "postgresql://db/app?colour=blue: unknown keyword \"colour\"")]
    [InlineData("postgresql://db/app?port=x", "postgresql://db/app?port=x: port \"x\" is not a port number from 1 to 65535")]
    public void A_malformed_uri_is_named(string uri, string message)
    {
        Assert.Equal(message, Refused(uri));
    }

    [Fact]
    public void A_malformed_uri_is_named_without_its_password()
    {
        var message = Refused("postgresql://app:S3cr:t@db:port/app");
        Assert.Equal("postgresql://app:***@db:port/app: port \"port\" is not a port number from 1 to 65535", message);
    }

    [Fact]
    public void A_uri_host_list_keeps_each_host_with_its_port()
    {
        var info = PgConnectionInfo.Parse("postgresql://u@a:6001,[::1]:6002,c/app", _ => null);
        Assert.Equal("u@a:6001,[::1]:6002,c:5432/app", info.ToString());
        Assert.StartsWith("user=u host=a,::1,c port=6001,6002, dbname=app", info.ToLibpqString());
    }

    [Fact]
    public void One_port_serves_every_host_of_a_list()
    {
        Assert.Equal("u@a:6000,b:6000/app", PgConnectionInfo.Parse("host=a,b port=6000 user=u dbname=app", _ => null).ToString());
    }

    [Fact]
    public void Ports_that_do_not_pair_with_the_hosts_are_refused()
    {
        var info = PgConnectionInfo.Parse("host=a,b,c port=1,2 dbname=app", _ => null);
        var ex = Assert.Throws<PgPhaseException>(() => info.ToNpgsqlConnectionString());
        Assert.Equal("connection string: 2 ports do not pair with 3 hosts (give one port for all, or one per host)", ex.Message);
    }

    [Fact]
    public void A_connect_timeout_longer_than_npgsql_takes_waits_as_long_as_it_can_and_a_value_it_refuses_is_named()
    {
        var patient = PgConnectionInfo.Parse("host=a dbname=app connect_timeout=3600", _ => null);
        Assert.Equal(1024, new Npgsql.NpgsqlConnectionStringBuilder(patient.ToNpgsqlConnectionString()).Timeout);

        var refused = PgConnectionInfo.Parse("host=a dbname=app keepalives_idle=-1", _ => null);
        var ex = Assert.Throws<PgPhaseException>(() => refused.ToNpgsqlConnectionString());
        Assert.Equal(PgPhaseErrorCode.InvalidInput, ex.Code);
        Assert.StartsWith("the connection string: keepalives_idle \"-1\" is not accepted: ", ex.Message);
    }

    [Fact]
    public void Without_a_database_the_user_name_is_the_database_as_in_libpq()
    {
        Assert.Equal("alice@db:5432/alice", PgConnectionInfo.Parse("host=db user=alice", _ => null).ToString());
    }

    [Fact]
    public void A_password_file_line_is_read_with_libpq_escapes_wildcards_and_comments()
    {
        var dir = Directory.CreateTempSubdirectory("pgphase-pgpass-").FullName;
        try
        {
            var path = Path.Combine(dir, "pass");
            File.WriteAllText(path, string.Join('\n',
                "# db:5432:app:u:commented",
                "\\*:5432:app:u:literal-star-host",
                "db:5432:other:u:other-db",
                "db:*:app:u:p\\:a\\\\ss:ignored",
                "*:*:*:*:fallback") + "\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var info = PgConnectionInfo.Parse($"host=db port=5432 dbname=app user=u passfile={path}", _ => null);
            Assert.Equal("p:a\\ss", new Npgsql.NpgsqlConnectionStringBuilder(info.ToNpgsqlConnectionString()).Password);
            var elsewhere = PgConnectionInfo.Parse($"host=elsewhere dbname=app user=u passfile={path}", _ => null);
            Assert.Equal("fallback", new Npgsql.NpgsqlConnectionStringBuilder(elsewhere.ToNpgsqlConnectionString()).Password);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_held_password_keeps_the_passfile_out_of_the_childs_conninfo()
    {
        var info = PgConnectionInfo.Parse("host=db dbname=app passfile=/x/pass options='-c work_mem=1MB'", _ => null);
        Assert.Equal("host=db dbname=app passfile=/x/pass", info.ToChildConninfo());
        Assert.Equal("host=db dbname=app", info.WithCredentials("u", "pw").ToChildConninfo().Replace(" user=u", ""));
        Assert.Equal("-c work_mem=1MB -c lock_timeout=5", info.ChildOptions("-c lock_timeout=5"));
    }

    /// <summary>
    /// A credential gives the user and password, unless the string says otherwise: another user, or a password of
    /// its own, is refused, naming both. A user from PGUSER, or the same user in the string, is no contradiction.
    /// </summary>
    [Fact]
    public void A_credential_that_contradicts_the_string_is_refused()
    {
        var env = new Dictionary<string, string?> { ["PGUSER"] = "from_env", ["PGPASSWORD"] = "env-secret" };
        var fromEnv = PgConnectionInfo.Parse("host=db dbname=app", k => env.GetValueOrDefault(k)).WithCredentials("restorer", "pw", "-TargetCredential");
        Assert.Equal("restorer", fromEnv.User);
        Assert.Equal("restorer", PgConnectionInfo.Parse("host=db user=restorer", _ => null).WithCredentials("restorer", "pw").User);

        var user = Assert.Throws<PgPhaseException>(() => PgConnectionInfo.Parse("host=db user=postgres", _ => null).WithCredentials("restorer", "pw", "-TargetCredential"));
        Assert.Equal(PgPhaseErrorCode.InvalidInput, user.Code);
        Assert.Equal("connection string: names user \"postgres\", but -TargetCredential is for user \"restorer\": name the user in one of them only", user.Message);
        var password = Assert.Throws<PgPhaseException>(() => PgConnectionInfo.Parse("host=db password=zzz-secret", _ => null).WithCredentials("restorer", "pw", "-TargetCredential"));
        Assert.Equal(PgPhaseErrorCode.InvalidInput, password.Code);
        Assert.Equal("connection string: holds a password, and -TargetCredential gives one too: give the password in one of them only", password.Message);
        Assert.DoesNotContain("zzz-secret", password.ToString());

        // A credential without a password keeps the one found, and its user is the credential's own, not "written".
        var kept = PgConnectionInfo.Parse("host=db", k => env.GetValueOrDefault(k)).WithCredentials("restorer", "", "-TargetCredential");
        Assert.True(kept.HasPassword);
        Assert.Equal("restorer", kept.User);
    }

    /// <summary>
    /// A listing's connection string, piped on to a backup with its own credential, names a user only when the
    /// server's string did: one from -ServerCredential or PGUSER would contradict -SourceCredential.
    /// </summary>
    [Fact]
    public void A_string_handed_on_names_only_the_user_written_in_it()
    {
        var env = new Dictionary<string, string?> { ["PGUSER"] = "from_env" };
        Assert.DoesNotContain("user=", PgConnectionInfo.Parse("host=db", _ => null).WithCredentials("lister", "pw").WithWrittenUserOnly().ToLibpqString());
        Assert.DoesNotContain("user=", PgConnectionInfo.Parse("host=db", k => env.GetValueOrDefault(k)).WithWrittenUserOnly().ToLibpqString());
        var written = PgConnectionInfo.Parse("host=db user=owner", _ => null).WithCredentials("owner", "pw").WithWrittenUserOnly();
        Assert.Contains("user=owner", written.ToLibpqString());
        // Handed on and given another credential: refused only where the user was written.
        var handedOn = PgConnectionInfo.Parse(PgConnectionInfo.Parse("host=db", _ => null).WithCredentials("lister", "pw").WithWrittenUserOnly().ToLibpqString(), _ => null);
        Assert.Equal("backup", handedOn.WithCredentials("backup", "pw2").User);
    }
}
