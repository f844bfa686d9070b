using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tools;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>Reads an archive where it lives and plans it: the one call hosts make before showing or running phases.</summary>
public static class ArchivePlanning
{
    /// <summary>
    /// Plans the archive at <paramref name="location"/>. For Auto, index sizes come from the backup's manifest or
    /// <paramref name="sizesFrom"/>, and the memory budget, when not given, from <paramref name="target"/>.
    /// </summary>
    public static async Task<RestorePlan> PlanAsync(ArchiveLocation location, PlanOptions options, CancellationToken ct,
        PgConnectionInfo? target = null, PgConnectionInfo? sizesFrom = null)
    {
        var archive = await ArchiveReader.ReadAsync(location, ct).ConfigureAwait(false);
        var complete = await IndexSizing.CompleteAsync(archive, options, location.S3, sizesFrom, target, ct).ConfigureAwait(false);
        return PhasePlanner.Plan(archive, complete);
    }
}
