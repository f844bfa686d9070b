using System.Globalization;
using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// What the Auto strategy needs to decide: an estimate of each index's sort (from the backup's manifest, else a
/// source connection, else a scan of a local archive's rows) and the memory budget (given, else the target's
/// maintenance_work_mem).
/// </summary>
internal static class IndexSizing
{
    // Row counts from the catalog are estimates (reltuples): counted a tenth larger, and never fewer than this more.
    private const double RowMargin = 1.1;
    private const long RowSlack = 1000;
    private const double StatsMargin = 1.2;
    private const double InOrderCorrelation = 0.999;

    /// <summary>
    /// Fills in what <paramref name="options"/> leaves open for Auto; other strategies are returned as they are.
    /// <paramref name="storage"/> reaches the manifest beside an archive in a bucket; <paramref name="log"/> says how long a scan took.
    /// </summary>
    public static async Task<PlanOptions> CompleteAsync(DumpArchive archive, PlanOptions options, S3Settings storage, PgConnectionInfo? source,
        PgConnectionInfo? target, CancellationToken ct, Action<string>? log = null)
    {
        if (options.Strategy != RestoreStrategy.Auto)
            return options;
        var estimates = options.IndexEstimates;
        var gap = options.NoEstimateReason;
        long? budget = options.MemoryBudget;
        if (budget is null && target is not null)
            budget = await MaintenanceWorkMemAsync(target, ct).ConfigureAwait(false);
        // Rows measured as they load go through this process's sessions, which pass them on unconverted: UTF-8 only.
        bool provisional = options.SizeWhileLoading && ServerEncoding.IsUtf8(archive);
        if (estimates is null)
        {
            BackupManifest? manifest = null;
            try
            {
                using var client = archive.LocationWith(storage).CreateClient();
                manifest = await ManifestStore.TryLoadAsync(archive.Source, client, ct).ConfigureAwait(false);
            }
            catch (PgPhaseException ex) when (PgPhaseErrors.IsStorage(ex.Code) && S3ObjectLocation.IsS3Uri(archive.Source))
            {
                // Sizes are an optimisation: a plan without them builds every index early, and says why. Whatever
                // cannot reach the bucket fails the restore itself, with its own error.
                gap = $"the manifest beside it could not be read ({ex.Message})";
            }
            Dictionary<string, IndexSortEstimate>? found = null;
            if (manifest is not null && manifest.Indexes.Count > 0)
                found = FromCatalog(archive, manifest.Tables, manifest.Indexes, SizeBasis.Manifest);
            else if (source is not null)
            {
                var facts = await SourceInspector.InspectAsync(source, ct).ConfigureAwait(false);
                found = FromCatalog(archive, facts.Tables, facts.Indexes, SizeBasis.Source);
            }
            var unreadable = ArchiveTableData.Unreadable(archive);
            if (found is null && gap is null && unreadable is not null)
                gap = $"no manifest, no source connection, and {unreadable}; the data is not downloaded to size it";
            else if (found is null && gap is null)
                (found, gap) = await Task.Run(() => ArchiveSizeScan.EstimateAsync(archive, budget, log, ct, provisional), ct).ConfigureAwait(false);
            else if (found is not null && Unsized(archive, found) is > 0 and var missing)
            {
                // Tables the catalog has no row estimate for (never analyzed): a local archive's scan sizes their
                // indexes; otherwise they are built early, and the plan says why.
                if (unreadable is null)
                {
                    var (scanned, problem) = await Task.Run(() => ArchiveSizeScan.EstimateAsync(archive, budget, log, ct, provisional), ct).ConfigureAwait(false);
                    foreach (var (key, estimate) in scanned)
                        found.TryAdd(key, estimate);
                    gap = problem;
                }
                else
                {
                    gap = $"the {(manifest is not null ? "backup's manifest" : "source's catalog")} has no row estimate for the tables of {Plural.Of(missing, "index")} (never analyzed), and {unreadable}";
                }
            }
            estimates = found;
        }
        return options with { MemoryBudget = budget, IndexEstimates = estimates, NoEstimateReason = gap };
    }

    /// <summary>How many of the indexes Auto could build late have no estimate.</summary>
    private static int Unsized(DumpArchive archive, Dictionary<string, IndexSortEstimate> estimates) =>
        AutoIndexPlanner.Candidates(archive).Count(c => !estimates.ContainsKey(AutoIndexPlanner.EstimateKey(c.Index, c.Table)));

    /// <summary>
    /// Estimates from the catalog's row estimate and the index's size on disk: the bytes per row bound each tuple
    /// (a leaf holds the tuple, its line pointer and free space), unless equal keys were deduplicated (PostgreSQL
    /// 13 on), so the tuple is never taken smaller than its columns' average widths in the statistics, or than its
    /// fixed-width key columns make it.
    /// </summary>
    internal static Dictionary<string, IndexSortEstimate> FromCatalog(DumpArchive archive, IEnumerable<TableStats> tables, IEnumerable<IndexStats> indexes, SizeBasis basis)
    {
        var rowsOf = tables.Where(t => t.RowEstimate is not null).ToDictionary(t => $"{t.Schema}.{t.Name}", t => t.RowEstimate!.Value);
        var shapes = AutoIndexPlanner.Candidates(archive).ToDictionary(c => AutoIndexPlanner.EstimateKey(c.Index, c.Table), c => IndexKeyShape.Of(c.Index, c.Table));
        var estimates = new Dictionary<string, IndexSortEstimate>(StringComparer.Ordinal);
        foreach (var index in indexes)
        {
            var key = $"{index.Schema}.{index.Name}";
            if (!rowsOf.TryGetValue($"{index.Schema}.{index.Table}", out long rows))
                continue;
            long counted = (long)Math.Ceiling(rows * RowMargin) + RowSlack;
            double perRow = rows > 0 ? (double)index.Bytes / rows : 0;
            // The statistics' widths are of a sample: a fifth more, each value with room for its alignment.
            double fromStats = index.KeyBytes is { } width ? SortMemory.TupleHeader + width * StatsMargin + 4 * (shapes.GetValueOrDefault(key)?.Parts.Count ?? 1) : 0;
            double tuple = Math.Max(Math.Max(perRow, fromStats), shapes.GetValueOrDefault(key)?.SmallestTuple() ?? 0);
            var how = string.Create(CultureInfo.InvariantCulture, $"{rows:N0} rows estimated, index {SizeText.Format(index.Bytes)} on disk, about {tuple:F0} bytes a tuple");
            // A correlation of 1 is the statistics' word that the rows lie in the key's order (it is of a sample: nearly 1 will do).
            estimates[key] = new IndexSortEstimate(counted, SortMemory.Total(counted * SortMemory.PerAverageTuple(tuple)), basis, how)
                { InKeyOrder = index.FirstKeyCorrelation >= InOrderCorrelation };
        }
        return estimates;
    }

    /// <summary>The target server's maintenance_work_mem in bytes (read from a maintenance database: the target may not exist yet).</summary>
    internal static async Task<long> MaintenanceWorkMemAsync(PgConnectionInfo target, CancellationToken ct)
    {
        await using var conn = await MaintenanceDatabase.OpenAsync(target, "pgphase plan", last =>
            PgPhaseException.Wrap($"could not read maintenance_work_mem on {target}: {last.MessageText}", last, PgPhaseErrorCode.Failed), ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("SELECT setting::bigint * 1024 FROM pg_settings WHERE name = 'maintenance_work_mem'", conn);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
