using System.Reflection;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// Only the engine's own failures are ordinary failures of a cmdlet: anything else that reaches one is reported as a
/// bug in PgPhaseRestore, with an ErrorId of its own, category NotSpecified, and a message that says so.
/// </summary>
public sealed class BugReportTests : IClassFixture<CmdletMetadata>
{
    private readonly CmdletMetadata _m;

    public BugReportTests(CmdletMetadata metadata) => _m = metadata;

    [Fact]
    public void An_exception_from_outside_the_engine_is_reported_as_a_bug()
    {
        var cmdlets = BuildOutputContext.LoadCmdlets(_m.ModuleDirectory);
        var records = cmdlets.GetType("PgPhaseRestore.PowerShell.Infrastructure.ErrorRecords", throwOnError: true)!;
        object? Call(string name, params object?[] args) =>
            records.GetMethod(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, args);

        var bug = new NullReferenceException("Object reference not set to an instance of an object.\n   at Somewhere()");
        Assert.Equal(false, Call("IsExpected", bug));
        Assert.Equal(true, Call("IsReported", bug));
        Assert.Equal(false, Call("IsReported", new OperationCanceledException()));
        Assert.Equal("PgPhaseRestore.Bug", records.GetField("Bug")!.GetRawConstantValue());
        Assert.Equal("This is a bug in PgPhaseRestore, not a problem with what was asked: System.NullReferenceException: " +
                     "Object reference not set to an instance of an object. Please report it with this message.", Call("BugMessage", bug));
        Assert.Equal("NotSpecified", Call("CategoryOf", [null])!.ToString());

        // The engine's own failure is expected.
        var engine = System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(cmdlets)!.LoadFromAssemblyName(new AssemblyName("PgPhaseRestore.Engine"))
            .GetType("PgPhaseRestore.Engine.Restore.RestoreError", throwOnError: true)!;
        var own = engine.GetMethod("ToException")!.Invoke(Activator.CreateInstance(engine, [null, null, "pg_restore failed"]), null);
        Assert.Equal(true, Call("IsExpected", own));
    }
}
