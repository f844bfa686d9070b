using System.Diagnostics;
using System.Globalization;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// Auto's estimates from the archive itself, for a plain pg_dump file with no manifest and no source: one pass
/// over the rows of each table that has btree indexes (decompressed on one thread while measured on another,
/// written nowhere) counts its rows and sizes each index's tuples from the COPY text of its key columns, typed by
/// the TOC's CREATE TABLE.
/// </summary>
internal static class ArchiveSizeScan
{
    /// <summary>A projection is made from at least this share of a table's stored data, or this many bytes of it...</summary>
    private const double ProjectFromShare = 1.0 / 16;

    /// <summary>
    /// ...whichever comes first: that many rows are as good a sample as more, and a sixteenth of a table of 100 GB would
    /// keep the restore waiting for minutes before it starts.
    /// </summary>
    private const long ProjectWithinBytes = 4L * 1024 * 1024;

    /// <summary>...and at least this many stored bytes, so that it rests on thousands of rows.</summary>
    private const long ProjectFromBytes = 256 * 1024;

    /// <summary>A projected sort must be past the budget by this factor for the scan to stop on it.</summary>
    private const double ProjectionMargin = 2.0;

    /// <summary>
    /// A table is sized provisionally (<see cref="IndexSortEstimate.Provisional"/>) only from this much stored data:
    /// below it, reading every row costs next to nothing, and the table keeps pg_restore's way of loading small tables.
    /// </summary>
    internal const long ProvisionalFromBytes = 8L * 1024 * 1024;

    /// <summary>
    /// Per "schema.index", its estimate; the indexes whose table or definition could not be read are absent. A
    /// damaged or cut archive ends the scan (Problem says where): the tables read whole keep their estimates, and the
    /// restore's own checks refuse the archive with the object and the offset.
    /// </summary>
    /// <param name="archive">A local archive whose data this scan reads (<see cref="ArchiveTableData.Unreadable"/> is null).</param>
    /// <param name="log">Says what was sized, and how long it took.</param>
    /// <param name="ct">Stops the scan.</param>
    /// <param name="stopAbove">
    /// The budget the plan will decide with, when known: a table's rows are read only until each of its indexes'
    /// sorts is past it (those indexes are built early whatever the rest holds), and its estimates say "at least";
    /// or, sooner, until the share read projects each sort past twice the budget (<see cref="IndexSortEstimate.Projected"/>).
    /// Either only ever makes a build early, which never spills: a projection too large costs speed, never memory.
    /// </param>
    /// <param name="provisional">
    /// With <paramref name="stopAbove"/>, a big table's rows are read only until the share read projects each of its
    /// sorts either past twice the budget or inside half of it; those inside are <see cref="IndexSortEstimate.Provisional"/>,
    /// for a restore that measures the rest as it loads them.
    /// </param>
    /// <param name="onlyData">Only the tables with these data entries (dump ids); all when null.</param>
    public static async Task<(Dictionary<string, IndexSortEstimate> Estimates, string? Problem)> EstimateAsync(DumpArchive archive, long? stopAbove,
        Action<string>? log, CancellationToken ct, bool provisional = false, IReadOnlySet<int>? onlyData = null)
    {
        var clock = Stopwatch.StartNew();
        var byData = new Dictionary<int, List<(string Key, IndexKeyShape Shape)>>();
        foreach (var (index, table, data) in AutoIndexPlanner.Candidates(archive))
        {
            if (onlyData is not null && !onlyData.Contains(data.DumpId))
                continue;
            if (IndexKeyShape.Of(index, table) is { } shape)
                (byData.TryGetValue(data.DumpId, out var list) ? list : byData[data.DumpId] = []).Add((AutoIndexPlanner.EstimateKey(index, table), shape));
        }
        var estimates = new Dictionary<string, IndexSortEstimate>(StringComparer.Ordinal);
        if (byData.Count == 0)
            return (estimates, null);
        // Said before the pass starts: on a big archive it is a long, silent read otherwise.
        log?.Invoke($"{archive.Source}: sizing {Plural.Of(byData.Values.Sum(l => l.Count), "index")} of {Plural.Of(byData.Count, "table")} from the archive's data:" +
            " one pass over their rows in memory, nothing written");
        long bytes = 0;
        string? problem = null;
        TocEntry? reading = null;
        try
        {
            await ScanAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PgPhaseException { Code: PgPhaseErrorCode.NotAnArchive } or InvalidDataException or EndOfStreamException)
        {
            // .NET names a zlib stream that does not inflate "compressed using an unsupported compression method": it is damaged data.
            var why = ex is InvalidDataException ? $"its data cannot be decompressed ({ex.Message.TrimEnd('.')}); the archive is damaged" : ex.Message.TrimEnd('.');
            problem = $"the scan of the archive's data stopped{(reading is null ? "" : $" in {reading.Label}")}: {why}";
            log?.Invoke($"{archive.Source}: {problem}");
            if (ex is InvalidDataException && reading is not null)
                archive.Damage ??= (reading, $"{archive.Source}: the data of {reading.Label} cannot be decompressed ({ex.Message.TrimEnd('.')}), as the plan's scan found; the archive is damaged");
        }
        log?.Invoke($"{archive.Source}: sized {Plural.Of(estimates.Count, "index")} from {SizeText.Format(bytes)} of table data in {clock.Elapsed.TotalSeconds:F1} s");
        return (estimates, problem);

        Task ScanAsync() => ArchiveTableData.ForEachAsync(archive, byData.Keys.ToHashSet(), (entry, text, stored) =>
        {
            reading = entry;
            var indexes = byData[entry.DumpId];
            if (CopyRowMeter.For(entry, indexes.Select(i => i.Shape).ToList(), watchOrder: true) is not { } meter)
                return;
            bool over = false;
            double? projectedBy = null;
            ReadAhead.Pump(text, () => stored.BytesRead, (data, storedRead) =>
            {
                meter.Feed(data);
                if (stopAbove is not { } budget)
                    return true;
                over = meter.TupleMemory.All(m => SortMemory.Total(m) > budget);
                if (over || stored.FractionOf(storedRead) is not { } share || (share < ProjectFromShare && storedRead < ProjectWithinBytes) || storedRead < ProjectFromBytes || share >= 1)
                    return !over;
                bool Past(long m) => SortMemory.Total((long)(m / share)) > ProjectionMargin * budget;
                bool Inside(long m) => SortMemory.Total((long)(m / share)) * ProjectionMargin <= budget;
                if (meter.TupleMemory.All(Past))
                    projectedBy = share;
                else if (provisional && storedRead / share >= ProvisionalFromBytes && meter.TupleMemory.All(m => Past(m) || Inside(m)))
                    projectedBy = share;
                return projectedBy is null;
            }, ct);
            bytes += meter.Bytes;
            // A projection that left some sort inside the budget is provisional: those sorts are confirmed as the rows load.
            var sorts = meter.TupleMemory.Select(m => projectedBy is { } by ? SortMemory.Total((long)(m / by)) : SortMemory.Total(m)).ToList();
            bool someInside = projectedBy is not null && sorts.Any(m => m <= stopAbove!.Value);
            var how = over
                ? $"{SizeText.Format(meter.Bytes)} of COPY text read, where every index of the table was past the {SizeText.Format(stopAbove!.Value)} budget"
                : projectedBy is { } first && someInside
                    ? string.Create(CultureInfo.InvariantCulture, $"from its first {Percent(first)} of stored data ({meter.Rows:N0} rows), where each index of the table was projected inside half the {SizeText.Format(stopAbove!.Value)} budget or past twice it; those inside are confirmed from every row as it loads")
                : projectedBy is { } read
                    ? string.Create(CultureInfo.InvariantCulture, $"from its first {Percent(read)} of stored data ({meter.Rows:N0} rows), where every index of the table was projected past twice the {SizeText.Format(stopAbove!.Value)} budget")
                    : string.Create(CultureInfo.InvariantCulture, $"{meter.Rows:N0} rows in {SizeText.Format(meter.Bytes)} of COPY text, each tuple sized from its key's text");
            for (int i = 0; i < indexes.Count; i++)
            {
                estimates[indexes[i].Key] = projectedBy is { } share
                    ? new IndexSortEstimate((long)(meter.Rows / share), sorts[i], SizeBasis.ArchiveScan, how)
                        { Projected = sorts[i] > stopAbove!.Value, Provisional = sorts[i] <= stopAbove!.Value, InKeyOrder = meter.InKeyOrder(i) }
                    : new IndexSortEstimate(meter.Rows, sorts[i], SizeBasis.ArchiveScan, how) { AtLeast = over, InKeyOrder = meter.InKeyOrder(i) };
            }
            reading = null;
        }, ct);
    }

    /// <summary>"6%", or "0.0041%" for a small share of a big table.</summary>
    private static string Percent(double share) => share >= 0.01
        ? string.Create(CultureInfo.InvariantCulture, $"{Math.Min(99, Math.Round(share * 100)):F0}%")
        : share >= 0.000001 ? string.Create(CultureInfo.InvariantCulture, $"{share * 100:0.####}%") : "less than 0.0001%";
}
