using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tools;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// What the Auto strategy needs to decide: the source's index sizes (from the backup's manifest, else from a
/// source connection) and the memory budget (given, else the target's maintenance_work_mem).
/// </summary>
public static class IndexSizing
{
    /// <summary>
    /// Fills in what <paramref name="options"/> leaves open for Auto; other strategies are returned as they are.
    /// <paramref name="storage"/> reaches the manifest beside an archive in a bucket.
    /// </summary>
    public static async Task<PlanOptions> CompleteAsync(DumpArchive archive, PlanOptions options, S3Settings storage, PgConnectionInfo? source,
        PgConnectionInfo? target, CancellationToken ct)
    {
        if (options.Strategy != RestoreStrategy.Auto)
            return options;
        var sizes = options.IndexSizes;
        var from = options.IndexSizeSource;
        if (sizes is null)
        {
            using var client = new ArchiveLocation(archive.Source, storage).CreateClient();
            var manifest = await ManifestStore.TryLoadAsync(archive.Source, client, ct).ConfigureAwait(false);
            if (manifest is not null && manifest.Indexes.Count > 0)
                (sizes, from) = (manifest.Indexes.ToDictionary(i => $"{i.Schema}.{i.Name}", i => i.Bytes), "the backup's manifest");
            else if (source is not null)
                (sizes, from) = ((await SourceInspector.InspectAsync(source, ct).ConfigureAwait(false)).Indexes.ToDictionary(i => $"{i.Schema}.{i.Name}", i => i.Bytes), $"the source {source}");
        }
        long? budget = options.MemoryBudget;
        if (budget is null && target is not null)
            budget = await MaintenanceWorkMemAsync(target, ct).ConfigureAwait(false);
        return options with { MemoryBudget = budget, IndexSizes = sizes, IndexSizeSource = from };
    }

    /// <summary>The target server's maintenance_work_mem in bytes (read from a maintenance database: the target may not exist yet).</summary>
    internal static async Task<long> MaintenanceWorkMemAsync(PgConnectionInfo target, CancellationToken ct)
    {
        await using var conn = await MaintenanceDatabase.OpenAsync(target, "pgphase plan", last =>
            new PlanException($"could not read maintenance_work_mem on {target}: {last.MessageText}", last), ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT setting::bigint * 1024 FROM pg_settings WHERE name = 'maintenance_work_mem'", conn);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
