namespace PgPhaseRestore.Engine;

/// <summary>
/// Lets the fault tests stop a run at a named point and act on the databases (damage a side database, kill the
/// process between two renames). Inert unless PGPHASE_TEST_PAUSE_AT names the point: then the file named by
/// PGPHASE_TEST_PAUSE_FILE is created there and the run waits until the test deletes it.
/// </summary>
internal static class TestSeam
{
    public static async Task PauseAsync(string point, CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable("PGPHASE_TEST_PAUSE_AT") != point ||
            Environment.GetEnvironmentVariable("PGPHASE_TEST_PAUSE_FILE") is not { Length: > 0 } file)
            return;
        await File.WriteAllTextAsync(file, $"{point} {Environment.ProcessId}", ct).ConfigureAwait(false);
        while (File.Exists(file))
            await Task.Delay(20, ct).ConfigureAwait(false);
    }
}
