using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Replace;
using PgPhaseRestore.Engine.Restore;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>`pgphase restore ... --replace`: restore beside the live database, verify, swap; one line per outcome on stdout.</summary>
internal static class ReplaceRun
{
    public static async Task<int> RunAsync(ReplaceOptions options, IReadOnlyList<RestorePhase> phases, IProgress<RestoreProgress>? progress,
        Action<string>? log, Action<string>? debug, CancellationToken ct)
    {
        var plan = await DatabaseReplace.PlanAsync(options, phases, ct);
        var result = await DatabaseReplace.RunAsync(plan, phases, progress, log, debug, ct);
        foreach (var phase in result.Phases)
        {
            Console.WriteLine(phase);
            foreach (var error in phase.Errors)
                Console.WriteLine($"    {error}");
        }
        if (result.Verification is { } verification)
        {
            Console.WriteLine(verification);
            foreach (var d in verification.Differences)
                Console.WriteLine($"  {d}");
        }
        foreach (var refused in result.Swap?.NotCarried ?? [])
            Console.Error.WriteLine($"pgphase: warning: not carried: {refused}");
        if (!result.Succeeded)
        {
            await Console.Error.WriteLineAsync($"pgphase: {result.Message}");
            return CommandRunner.Failed;
        }
        Console.WriteLine(result.Message);
        return 0;
    }
}
