using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>The one call hosts make to go from a location to a validated plan.</summary>
public static class ArchivePlanning
{
    public static async Task<RestorePlan> PlanAsync(string location, PlanOptions options, S3Settings? s3, CancellationToken ct) =>
        PhasePlanner.Plan(await ArchiveReader.ReadAsync(location, s3, ct).ConfigureAwait(false), options);
}
