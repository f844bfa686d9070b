using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Processes;

namespace PgPhaseRestore.Engine.Tests.Restore;

public sealed class PasswordFileTests
{
    [Fact]
    public void The_file_is_private_escapes_the_password_and_is_deleted()
    {
        var info = PgConnectionInfo.Parse("host=db port=5433 dbname=app user=u", _ => null).WithCredentials("u", "p:a\\ss");
        string path;
        using (var file = PasswordFile.Create(info)!)
        {
            path = file.Path;
            Assert.Equal("*:*:*:*:p\\:a\\\\ss\n", File.ReadAllText(path));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Files_left_by_a_killed_process_are_removed_by_the_next_run()
    {
        // A pid that cannot be running: above the kernel's pid_max.
        var orphan = Path.Combine(Path.GetTempPath(), "pgphase-99999999-0123456789abcdef.pgpass");
        File.WriteAllText(orphan, "*:*:*:*:old\n");
        using var file = PasswordFile.Create(PgConnectionInfo.Parse("dbname=x", _ => null).WithCredentials("u", "pw"));
        Assert.False(File.Exists(orphan));
    }

    [Fact]
    public void No_password_means_no_file()
    {
        Assert.Null(PasswordFile.Create(PgConnectionInfo.Parse("host=db dbname=app", _ => null)));
    }

    [Theory]
    [InlineData("postgresql://alice:s%3Acret@db.example.com:6543/app?sslmode=require", "alice@db.example.com:6543/app", "s:cret", "require")]
    [InlineData("host=db.example.com port=6543 dbname='my app' user=alice password='it\\'s'", "alice@db.example.com:6543/my app", "it's", null)]
    [InlineData("host=/var/run/postgresql dbname=app user=bob", "bob@/var/run/postgresql:5432/app", null, null)]
    public void Connection_strings_and_uris_parse(string conninfo, string expected, string? password, string? sslmode)
    {
        var info = PgConnectionInfo.Parse(conninfo, _ => null);
        Assert.Equal(expected, info.ToString());
        if (password is not null)
            Assert.Equal(password, info.Password);
        Assert.Equal(sslmode, info.SslMode);
        Assert.DoesNotContain("password", info.ToLibpqString());
    }

    [Fact]
    public void Environment_fills_what_the_string_leaves_out()
    {
        var env = new Dictionary<string, string> { ["PGHOST"] = "h", ["PGPORT"] = "7000", ["PGUSER"] = "envuser", ["PGPASSWORD"] = "envpw" };
        var info = PgConnectionInfo.Parse("dbname=app user=explicit", k => env.GetValueOrDefault(k));
        Assert.Equal("explicit@h:7000/app", info.ToString());
        Assert.Equal("envpw", info.Password);
        Assert.Equal("dbname=app user=explicit host=h port=7000", info.ToLibpqString());
    }

    [Fact]
    public void Unknown_keywords_are_rejected_by_name()
    {
        var ex = Assert.Throws<PgPhaseException>(() => PgConnectionInfo.Parse("host=h colour=blue", _ => null));
        Assert.Equal("connection string: unknown keyword \"colour\"", ex.Message);
    }
}
