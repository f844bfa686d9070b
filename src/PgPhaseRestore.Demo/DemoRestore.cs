using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Verification;

namespace PgPhaseRestore.Demo;

/// <summary>One restore of the demo's backup: how long it took, its phases (none for plain pg_restore) and what verification found.</summary>
/// <param name="Name">How it restored: plain pg_restore, or the strategy and jobs.</param>
/// <param name="Database">The database it restored into.</param>
/// <param name="Total">How long it took.</param>
/// <param name="Phases">The phase results (none for plain pg_restore).</param>
/// <param name="Verification">What verification against the source found, when it ran.</param>
public sealed record DemoRestore(string Name, string Database, TimeSpan Total, IReadOnlyList<PhaseResult> Phases, VerificationResult? Verification)
{
    /// <summary>Every phase succeeded and verification found the restored database equal to the source.</summary>
    public bool Succeeded => Phases.All(p => p.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped) && Verification?.IsMatch != false;
}
