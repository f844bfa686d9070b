using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// Decides, for the Auto strategy, which index builds wait until their table is loaded. Building after the data
/// is pg_restore's fast path (one sort instead of maintaining the index row by row), and safe as long as the
/// sort stays in memory: a btree build's sort holds each index tuple plus its sort slot, about three times the
/// index's size on disk, so a build is late only when that estimate fits in the budget.
/// </summary>
internal static class AutoIndexPlanner
{
    /// <summary>PostgreSQL's default maintenance_work_mem: the budget when planning without a target.</summary>
    public const long DefaultBudget = 64L * 1024 * 1024;

    /// <summary>In-memory sort size per byte of btree index on disk (tuple, slot and allocation overhead).</summary>
    public const int SortFactor = 3;

    public static List<IndexDecision> Decide(DumpArchive archive, PlanOptions options)
    {
        long budget = options.MemoryBudget ?? DefaultBudget;
        var sizes = options.IndexSizes;
        var dataOfTable = archive.Entries.Where(e => e.Type == "TABLE DATA")
            .SelectMany(d => d.Dependencies.Select(dep => (Table: dep, Data: d))).GroupBy(x => x.Table).ToDictionary(g => g.Key, g => g.First().Data);
        // Indexes that partitions attach to, and partitioned or attached tables, keep their indexes early: the
        // attachment order is what makes the parent's index valid.
        var attached = archive.Entries.Where(e => e.Type is "INDEX ATTACH" or "TABLE ATTACH").SelectMany(e => e.Dependencies).ToHashSet();

        var decisions = new List<IndexDecision>();
        foreach (var e in archive.Entries.Where(EntryRules.BuildsIndex))
        {
            if (e.Type == "INDEX ATTACH")
                continue;
            var table = e.Dependencies.Select(archive.FindByDumpId).FirstOrDefault(t => t?.Type == "TABLE");
            string Early(string why) { decisions.Add(new IndexDecision(e, false, null, why, null)); return why; }
            if (table is null || !dataOfTable.TryGetValue(table.DumpId, out var data))
            {
                Early("its table has no data in the archive");
                continue;
            }
            if (attached.Contains(e.DumpId) || attached.Contains(table.DumpId) || table.Definition?.Contains(" PARTITION BY ", StringComparison.Ordinal) == true)
            {
                Early("partitioned or attached: built before the data with its partitions");
                continue;
            }
            if (!IsBtree(e))
            {
                Early("not a btree index: only sorted builds are moved after the data");
                continue;
            }
            var indexName = IndexName(e, table);
            if (sizes is null || !sizes.TryGetValue($"{e.Schema}.{indexName}", out long onDisk))
            {
                Early("no size information (no manifest, no source connection)");
                continue;
            }
            long sort = Math.Max(1024 * 1024, onDisk * SortFactor);
            if (sort > budget)
            {
                decisions.Add(new IndexDecision(e, false, sort, $"sort needs about {SizeText.Format(sort)}, over the {SizeText.Format(budget)} budget", null));
                continue;
            }
            decisions.Add(new IndexDecision(e, true, sort,
                $"sort of about {SizeText.Format(sort)} fits the {SizeText.Format(budget)} budget (size from {options.IndexSizeSource ?? "the given sizes"})", data.DumpId));
        }
        return decisions;
    }

    /// <summary>pg_dump writes "USING btree" in every CREATE INDEX; PRIMARY KEY and UNIQUE constraints are btree.</summary>
    private static bool IsBtree(TocEntry e) => e.Type == "CONSTRAINT"
        ? e.Definition?.Contains(" EXCLUDE ", StringComparison.Ordinal) != true
        : e.Definition?.Contains(" USING btree ", StringComparison.Ordinal) == true;

    /// <summary>The index's name: an INDEX entry's tag, or for a constraint the part of "table constraint" after the table.</summary>
    private static string IndexName(TocEntry e, TocEntry table) =>
        e.Type == "CONSTRAINT" && e.Name is { } tag && tag.StartsWith(table.Name + " ", StringComparison.Ordinal) ? tag[(table.Name!.Length + 1)..] : e.Name ?? "";
}
