using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>Runs the built `pgphase` host as a separate process, the way operators and scripts do.</summary>
public static class PgPhaseCli
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "pgphase.dll");

    public static ChildProcess.Result Run(IDictionary<string, string?>? environment, params string[] args) =>
        ChildProcess.Run("dotnet", [Dll, .. args], TimeSpan.FromMinutes(10), environment);

    public static ChildProcess.Result Run(params string[] args) => Run(null, args);
}
