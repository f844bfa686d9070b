using System.Reflection;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// The cmdlet base's cancellation source, driven as PowerShell drives it: StopProcessing from another thread, Dispose
/// when the pipeline ends, and a stop that arrives after the dispose.
/// </summary>
public sealed class CancellationSourceTests : IClassFixture<CmdletMetadata>
{
    private readonly CmdletMetadata _m;

    public CancellationSourceTests(CmdletMetadata metadata) => _m = metadata;

    [Fact]
    public void Dispose_releases_the_source_and_a_late_stop_is_harmless()
    {
        var command = NewCommand("PgPhaseRestore.PowerShell.Cmdlets.GetPgDumpTocCommand");
        var source = (CancellationTokenSource)FindField(command.GetType(), "_stop").GetValue(command)!;
        var token = source.Token;

        Stop(command);
        Assert.True(token.IsCancellationRequested);
        ((IDisposable)command).Dispose();
        Assert.Throws<ObjectDisposedException>(() => source.Token);
        Stop(command);                          // Ctrl+C racing the end of the pipeline
        ((IDisposable)command).Dispose();       // and a second dispose
    }

    [Fact]
    public void A_stop_on_another_thread_before_the_dispose_cancels_the_token_once()
    {
        var command = NewCommand("PgPhaseRestore.PowerShell.Cmdlets.InvokePgPhaseRestoreCommand");
        var source = (CancellationTokenSource)FindField(command.GetType(), "_stop").GetValue(command)!;
        int cancelled = 0;
        source.Token.Register(() => Interlocked.Increment(ref cancelled));
        Parallel.For(0, 8, i =>
        {
            if (i == 7)
                ((IDisposable)command).Dispose();
            else
                Stop(command);
        });
        Assert.True(cancelled <= 1);
    }

    /// <summary>
    /// A write on the pipeline thread that fails (a stopped pipeline, -ErrorAction Stop) ends the engine call before
    /// RunEngine returns, and cancels only that call: the next record's call runs with a live token.
    /// </summary>
    [Fact]
    public void A_failed_pipeline_write_ends_the_engine_call_and_only_that_call()
    {
        var command = NewCommand("PgPhaseRestore.PowerShell.Cmdlets.GetPgBackupCommand");
        var onPipeline = FindMethod(command.GetType(), "OnPipeline");
        var runEngine = FindMethod(command.GetType(), "RunEngine").MakeGenericMethod(typeof(int));
        bool engineEnded = false;
        Func<CancellationToken, Task<int>> failing = async ct =>
        {
            onPipeline.Invoke(command, [(Action)(() => throw new InvalidOperationException("the pipeline has been stopped"))]);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
                return 0;
            }
            finally
            {
                engineEnded = true;
            }
        };
        var thrown = Assert.Throws<TargetInvocationException>(() => runEngine.Invoke(command, [failing]));
        Assert.Equal("the pipeline has been stopped", thrown.InnerException!.Message);
        Assert.True(engineEnded);

        Func<CancellationToken, Task<int>> next = ct => Task.FromResult(ct.IsCancellationRequested ? 1 : 0);
        Assert.Equal(0, runEngine.Invoke(command, [next]));
        ((IDisposable)command).Dispose();
    }

    private static MethodInfo FindMethod(Type? type, string name)
    {
        for (; type is not null; type = type.BaseType)
            if (type.GetMethod(name, BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly) is { } method)
                return method;
        throw new MissingMethodException(name);
    }

    private static FieldInfo FindField(Type? type, string name)
    {
        for (; type is not null; type = type.BaseType)
            if (type.GetField(name, BindingFlags.NonPublic | BindingFlags.Instance) is { } field)
                return field;
        throw new MissingFieldException(name);
    }

    private static void Stop(object command) =>
        command.GetType().GetMethod("StopProcessing", BindingFlags.NonPublic | BindingFlags.Instance)!.Invoke(command, null);

    private object NewCommand(string typeName) =>
        Activator.CreateInstance(BuildOutputContext.LoadCmdlets(_m.ModuleDirectory).GetType(typeName, throwOnError: true)!)!;
}
