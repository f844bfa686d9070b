using System.Reflection;
using PgPhaseRestore.Cli.Commands;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>
/// Only the engine's own failures (and a stop) are ordinary failures of a command: anything else that reaches
/// pgphase is a bug, said to be one, with its own exit code.
/// </summary>
public sealed class CommandRunnerTests
{
    private static (string Line, int ExitCode) Report(Exception ex)
    {
        var report = typeof(FlagHints).Assembly.GetType("PgPhaseRestore.Cli.Commands.CommandRunner", throwOnError: true)!
            .GetMethod("Report", BindingFlags.NonPublic | BindingFlags.Static)!;
        return ((string, int))report.Invoke(null, [ex])!;
    }

    [Fact]
    public void An_exception_from_outside_the_engine_is_reported_as_a_bug()
    {
        var (line, code) = Report(new NullReferenceException("Object reference not set to an instance of an object.\n   at Somewhere()"));

        Assert.Equal("pgphase: this is a bug in PgPhaseRestore, not a problem with what was asked: System.NullReferenceException: " +
                     "Object reference not set to an instance of an object. Please report it with this message.", line);
        Assert.Equal(70, code);
    }

    [Fact]
    public void The_engines_own_failures_and_a_stop_are_not_bugs()
    {
        Assert.Equal(("pgphase: owners differ (--no-owner)", 1), Report(new PgPhaseException("owners differ", PgPhaseErrorCode.Ownership)));
        Assert.Equal(("pgphase: cancelled", 130), Report(new OperationCanceledException()));
    }

    [Fact]
    public void A_demo_this_machine_cannot_run_is_not_a_bug_but_an_invalid_operation_is()
    {
        // What the demo throws when initdb, pg_ctl or s3rver is missing or fails; its constructor is the demo's own.
        var cannotRun = new Demo.DemoException("initdb was not found on PATH or in /usr/sbin, /usr/bin, /sbin, /bin");
        Assert.Equal(("pgphase: initdb was not found on PATH or in /usr/sbin, /usr/bin, /sbin, /bin", 1), Report(cannotRun));
        Assert.Equal(70, Report(new InvalidOperationException("Collection was modified")).ExitCode);
        Assert.Equal(70, Report(new ArgumentOutOfRangeException("count")).ExitCode);
    }
}
