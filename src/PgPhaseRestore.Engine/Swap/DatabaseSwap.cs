namespace PgPhaseRestore.Engine.Swap;

/// <summary>
/// Trades the names of two databases on one server, as an owner with CREATEDB can: the replacement takes the
/// live name and the live database moves aside, both renames in one transaction, so that the live name is never
/// missing. Sessions are refused, or with force blocked and ended; the live database's settings, comment, grants
/// and connection limit are carried to the replacement; every step is journaled and the whole is resumable.
/// </summary>
/// <remarks>
/// A rerun reads the catalog: the two databases are followed by OID, and the renames still needed are the
/// difference between their names now and the names they are going to. Whether the earlier run died before the
/// renames, after them, or (had the server committed only one) between them, the rerun ends with exactly one
/// database holding the live name. An undo of an unfinished swap rolls it back the same way.
/// </remarks>
public static class DatabaseSwap
{
    /// <summary>Plans the swap, undo or rollback and runs it.</summary>
    public static Task<SwapResult> RunAsync(SwapOptions options, Action<string>? log, CancellationToken ct) =>
        PgPhaseErrors.AtBoundaryAsync(async () => await SwapRun.RunAsync(await SwapPlanner.PlanAsync(options, ct).ConfigureAwait(false), log, ct).ConfigureAwait(false));

    /// <summary>Reads the catalog and the journal and says what the operation would do; changes nothing.</summary>
    public static Task<SwapPlan> PlanAsync(SwapOptions options, CancellationToken ct) => PgPhaseErrors.AtBoundaryAsync(() => SwapPlanner.PlanAsync(options, ct));

    /// <summary>
    /// Runs a plan: blocks and ends sessions as allowed, carries settings, and renames in one transaction, recording
    /// each step.
    /// </summary>
    public static Task<SwapResult> RunAsync(SwapPlan plan, Action<string>? log, CancellationToken ct) => PgPhaseErrors.AtBoundaryAsync(() => SwapRun.RunAsync(plan, log, ct));
}
