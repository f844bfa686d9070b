using System.Runtime.CompilerServices;

namespace PgPhaseRestore.Engine.Tests.Rigs;

/// <summary>
/// Keeps what a test run writes out of the user's home: restore journals (in-process and in every `pgphase`
/// child, which inherits the variable) go to a folder of this run's own, removed when the run ends.
/// </summary>
internal static class TestEnvironment
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PGPHASE_JOURNAL_DIR")))
            return;
        var dir = Directory.CreateTempSubdirectory("pgphase-test-journals-").FullName;
        Environment.SetEnvironmentVariable("PGPHASE_JOURNAL_DIR", dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        };
    }
}
