using System.Diagnostics.CodeAnalysis;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>Reads an archive where it lives and plans it: the one call hosts make before showing or running phases.</summary>
public static class ArchivePlanning
{
    /// <summary>
    /// Plans the archive at <paramref name="location"/>. For Auto, index sizes come from the backup's manifest or
    /// <paramref name="sizesFrom"/>, and the memory budget, when not given, from <paramref name="target"/>.
    /// <paramref name="log"/> hears what sizing the indexes reads and how long it took: a scan of a big plain
    /// archive is a pass over all its data.
    /// </summary>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "Both overloads had optional parameters before the log; each gains it last, alike.")]
    public static Task<RestorePlan> PlanAsync(ArchiveLocation location, PlanOptions options, CancellationToken ct,
        PgConnectionInfo? target = null, PgConnectionInfo? sizesFrom = null, Action<string>? log = null) =>
        PgPhaseErrors.AtBoundaryAsync(() => PlanCoreAsync(location, options, ct, target, sizesFrom, log));

    private static async Task<RestorePlan> PlanCoreAsync(ArchiveLocation location, PlanOptions options, CancellationToken ct,
        PgConnectionInfo? target, PgConnectionInfo? sizesFrom, Action<string>? log)
    {
        var archive = await ArchiveReader.ReadAsync(location, ct).ConfigureAwait(false);
        return await PlanCoreAsync(archive, options, location.S3, ct, target, sizesFrom, log).ConfigureAwait(false);
    }

    /// <summary>
    /// Plans an archive already read (piped from Get-PgDumpToc, say) exactly as one read from its location:
    /// <paramref name="storage"/> reaches a manifest beside it in a bucket.
    /// </summary>
    [SuppressMessage("ApiDesign", "RS0026", Justification = "Both overloads had optional parameters before the log; each gains it last, alike.")]
    public static Task<RestorePlan> PlanAsync(DumpArchive archive, PlanOptions options, S3Settings storage, CancellationToken ct,
        PgConnectionInfo? target = null, PgConnectionInfo? sizesFrom = null, Action<string>? log = null) =>
        PgPhaseErrors.AtBoundaryAsync(() => PlanCoreAsync(archive, options, storage, ct, target, sizesFrom, log));

    private static async Task<RestorePlan> PlanCoreAsync(DumpArchive archive, PlanOptions options, S3Settings storage, CancellationToken ct,
        PgConnectionInfo? target, PgConnectionInfo? sizesFrom, Action<string>? log)
    {
        var complete = await IndexSizing.CompleteAsync(archive, options, storage, sizesFrom, target, ct, log).ConfigureAwait(false);
        return PhasePlanner.Plan(archive, complete);
    }
}
