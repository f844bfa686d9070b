using PgPhaseRestore.Engine.Processes;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Processes;

/// <summary>A tool path given on purpose that is not that tool says what running it showed, not "none was found".</summary>
public sealed class PgToolLocatorTests : IDisposable
{
    private readonly TempDir _dir = new();

    private static string Refused(string name, string path) =>
        Assert.Throws<PgPhaseException>(() => PgToolLocator.Find(name, 9, "the test", path)).Message;

    private string Script(string name, string body, bool executable = true)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (executable)
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Theory]
    [InlineData("pg_restore")]
    [InlineData("pg_dump")]
    public void Bin_false(string name)
    {
        // GNU false prints its own version and still exits 1; busybox false prints nothing.
        var message = Refused(name, "/bin/false");
        Assert.StartsWith($"/bin/false is not {name}: `/bin/false --version` printed ", message);
        Assert.EndsWith($" and exited with code 1, not \"{name} (PostgreSQL) N\"", message);
    }

    [Fact]
    public void A_program_that_prints_nothing_and_fails()
    {
        var path = Script("silent", "exit 1");
        Assert.Equal($"{path} is not pg_restore: `{path} --version` printed nothing and exited with code 1, not \"pg_restore (PostgreSQL) N\"",
            Refused("pg_restore", path));
    }

    [Fact]
    public void A_program_that_prints_something_else()
    {
        var path = Script("fake", "echo 'fake tool 1.0'; echo second line");
        Assert.Equal($"{path} is not pg_restore: `{path} --version` printed \"fake tool 1.0\", not \"pg_restore (PostgreSQL) N\"", Refused("pg_restore", path));
    }

    [Fact]
    public void A_program_that_only_complains_on_stderr()
    {
        var path = Script("grumpy", "echo 'unknown option --version' >&2; exit 2");
        Assert.Equal($"{path} is not pg_restore: `{path} --version` printed nothing but \"unknown option --version\" on stderr and exited with code 2, not \"pg_restore (PostgreSQL) N\"",
            Refused("pg_restore", path));
    }

    [Fact]
    public void A_file_that_cannot_be_run()
    {
        var path = Script("not-executable", "echo 'pg_restore (PostgreSQL) 16.4'", executable: false);
        var message = Refused("pg_restore", path);
        Assert.StartsWith($"{path} is not pg_restore: it cannot be run (", message);
        Assert.Contains("ermission denied", message);
    }

    [Fact]
    public void Stdin_is_closed_so_a_program_waiting_for_input_ends()
    {
        var path = Script("reader", "read line; echo \"read: $line\"");
        Assert.Equal($"{path} is not pg_restore: `{path} --version` printed \"read:\", not \"pg_restore (PostgreSQL) N\"", Refused("pg_restore", path));
    }

    [Fact]
    public void The_other_postgresql_tool_is_named_for_what_it_is()
    {
        var pgDump = ChildProcess.OnPath("pg_dump") ?? PgServerBinaries.Locate() + "/pg_dump";
        var message = Refused("pg_restore", pgDump);
        Assert.StartsWith($"{pgDump} is not pg_restore: `{pgDump} --version` printed \"pg_dump (PostgreSQL) ", message);
        Assert.EndsWith("\": that is pg_dump", message);
    }

    [Fact]
    public void The_real_tool_is_accepted()
    {
        var pgRestore = ChildProcess.OnPath("pg_restore") ?? PgServerBinaries.Locate() + "/pg_restore";
        var tool = PgToolLocator.Find("pg_restore", 9, "the test", pgRestore);
        Assert.Equal(pgRestore, tool.Path);
        Assert.StartsWith("pg_restore (PostgreSQL) ", tool.VersionText);
        Assert.True(tool.MajorVersion >= 9);
    }

    /// <summary>
    /// On Debian and Ubuntu, pg_restore on PATH is pg_wrapper, a perl script that picks a version and starts its binary
    /// at every run. The binary is what gets run, with the version the wrapper reports, and perl starts no more.
    /// </summary>
    [Fact]
    public void Debian_wrapper_is_passed_over_for_the_binary_it_runs()
    {
        var onPath = ChildProcess.OnPath("pg_restore");
        var real = onPath is null ? null : new FileInfo(onPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        Assert.True(real?.EndsWith("/postgresql-common/pg_wrapper", StringComparison.Ordinal) == true,
            $"pg_restore on PATH is {onPath ?? "missing"} ({real}), not Debian's pg_wrapper: the test needs Debian's postgresql-client");
        var tool = PgToolLocator.Find("pg_restore", 9, "the test");
        Assert.Matches("^/usr/lib/postgresql/[0-9]+/bin/pg_restore$", tool.Path);
        Assert.Equal(ChildProcess.RunChecked(onPath!, ["--version"], TimeSpan.FromSeconds(30)).StdOut.Trim(), tool.VersionText);
    }

    [Fact]
    public void A_missing_path()
    {
        Assert.Equal($"pg_restore was not found at {_dir.File("nothing")}", Refused("pg_restore", _dir.File("nothing")));
    }

    [Fact]
    public void A_path_given_that_is_no_tool_names_the_option_that_gave_it()
    {
        var restore = Assert.Throws<PgPhaseException>(() => PgToolLocator.Find("pg_restore", 9, "the test", _dir.File("nothing")));
        Assert.Equal((PgPhaseErrorCode.InvalidInput, "PgRestorePath"), (restore.Code, restore.Option));
        var dump = Assert.Throws<PgPhaseException>(() => PgToolLocator.Find("pg_dump", 9, "the test", Script("pg_dump", "exit 1")));
        Assert.Equal((PgPhaseErrorCode.InvalidInput, "PgDumpPath"), (dump.Code, dump.Option));
        // None new enough anywhere: the option that gives one.
        var none = Assert.Throws<PgPhaseException>(() => PgToolLocator.Find("pg_restore", 999, "the test"));
        Assert.Equal((PgPhaseErrorCode.NotFound, "PgRestorePath"), (none.Code, none.Option));
    }

    public void Dispose() => _dir.Dispose();
}
