using PgPhaseRestore.Engine;

namespace PgPhaseRestore.Demo;

/// <summary>
/// Lets the fault tests stop a run of pgphase at a named point and act on the databases (damage a side database,
/// kill the process between two renames). Inert unless PGPHASE_TEST_PAUSE_AT names the point: then the file named by
/// PGPHASE_TEST_PAUSE_FILE is created there and the run waits until the test deletes it. The engine only names the
/// points; the PowerShell module never installs this.
/// </summary>
public static class TestSeam
{
    /// <summary>Holds the engine at the point PGPHASE_TEST_PAUSE_AT names, when it names one.</summary>
    public static void Install()
    {
        if (Environment.GetEnvironmentVariable("PGPHASE_TEST_PAUSE_AT") is { Length: > 0 })
            PausePoint.Hook = PauseAsync;
    }

    private static async Task PauseAsync(string point, CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable("PGPHASE_TEST_PAUSE_AT") != point ||
            Environment.GetEnvironmentVariable("PGPHASE_TEST_PAUSE_FILE") is not { Length: > 0 } file)
            return;
        await File.WriteAllTextAsync(file, $"{point} {Environment.ProcessId}", ct).ConfigureAwait(false);
        while (File.Exists(file))
            await Task.Delay(20, ct).ConfigureAwait(false);
    }
}
