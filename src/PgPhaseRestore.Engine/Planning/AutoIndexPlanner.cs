using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// Decides, for the Auto strategy, which index builds wait until their table is loaded. Building after the data
/// is pg_restore's fast path (one sort instead of maintaining the index row by row), and safe as long as the
/// sort stays in memory: a build is late only when its sort's estimate (<see cref="IndexSortEstimate"/>, on the
/// large side) fits in the budget.
/// </summary>
internal static class AutoIndexPlanner
{

    public static List<IndexDecision> Decide(DumpArchive archive, PlanOptions options)
    {
        long budget = options.MemoryBudget ?? PlanOptions.DefaultMemoryBudget;
        var candidates = Candidates(archive).ToDictionary(c => c.Index.DumpId);
        var decisions = new List<IndexDecision>();
        foreach (var e in archive.Entries.Where(EntryRules.BuildsIndex))
        {
            if (e.Type == "INDEX ATTACH")
                continue;
            void Early(string why) => decisions.Add(new IndexDecision(e, false, null, why, null));
            if (!candidates.TryGetValue(e.DumpId, out var c))
            {
                Early(WhyNotCandidate(archive, e));
                continue;
            }
            if (options.IndexEstimates?.GetValueOrDefault(EstimateKey(e, c.Table)) is not { } estimate)
            {
                Early(options.IndexEstimates is null
                    ? $"no size information ({options.NoEstimateReason ?? "no manifest, no source connection"})"
                    : $"no size information for this index ({options.NoEstimateReason ?? "its table's rows or its key could not be sized"})");
                continue;
            }
            if ((estimate.AtLeast || estimate.Projected) && estimate.SortBytes <= budget)
            {
                // Sized for a smaller budget than this plan's: what the rest of the rows need is unknown.
                Early($"sort {Needs(estimate)}{estimate}, which was sized only up to a smaller budget than this {SizeText.Format(budget)} one: plan again to size it");
                continue;
            }
            if (estimate.SortBytes > budget)
            {
                decisions.Add(new IndexDecision(e, false, estimate.SortBytes, $"sort {Needs(estimate)}{estimate}, over the {SizeText.Format(budget)} budget", null) { Estimate = estimate });
                continue;
            }
            decisions.Add(new IndexDecision(e, true, estimate.SortBytes, estimate.Provisional
                ? $"sort {estimate}, inside the {SizeText.Format(budget)} budget, once the rows confirm it as they load (a sort found larger is built before them)"
                : $"sort of {estimate} fits the {SizeText.Format(budget)} budget", c.Data.DumpId) { Estimate = estimate });
        }
        return decisions;
    }

    // "sort needs about 40 MB ..." but "sort projected at 300 MB ...".
    private static string Needs(IndexSortEstimate estimate) => estimate.Projected ? "" : "needs ";

    /// <summary>The btree builds that may move after their table's data, each with its table and the table's data.</summary>
    public static IEnumerable<(TocEntry Index, TocEntry Table, TocEntry Data)> Candidates(DumpArchive archive)
    {
        var dataOfTable = DataOfTable(archive);
        var attached = Attached(archive);
        foreach (var e in archive.Entries.Where(e => EntryRules.BuildsIndex(e) && e.Type != "INDEX ATTACH"))
        {
            var table = TableOf(archive, e);
            if (table is not null && dataOfTable.TryGetValue(table.DumpId, out var data) && !IsPartitioned(attached, e, table) && IsBtree(e))
                yield return (e, table, data);
        }
    }

    private static string WhyNotCandidate(DumpArchive archive, TocEntry e)
    {
        var table = TableOf(archive, e);
        if (table is null || !DataOfTable(archive).ContainsKey(table.DumpId))
            return "its table has no data in the archive";
        // Indexes that partitions attach to, and partitioned or attached tables, keep their indexes early: the
        // attachment order is what makes the parent's index valid.
        if (IsPartitioned(Attached(archive), e, table))
            return "partitioned or attached: built before the data with its partitions";
        return "not a btree index: only sorted builds are moved after the data";
    }

    /// <summary>The table an index-building entry builds on, from its dependencies.</summary>
    internal static TocEntry? TableOf(DumpArchive archive, TocEntry e) => e.Dependencies.Select(archive.FindByDumpId).FirstOrDefault(t => t?.Type == "TABLE");

    private static Dictionary<int, TocEntry> DataOfTable(DumpArchive archive) => archive.Entries.Where(e => e.Type == "TABLE DATA")
        .SelectMany(d => d.Dependencies.Select(dep => (Table: dep, Data: d))).GroupBy(x => x.Table).ToDictionary(g => g.Key, g => g.First().Data);

    private static HashSet<int> Attached(DumpArchive archive) =>
        archive.Entries.Where(e => e.Type is "INDEX ATTACH" or "TABLE ATTACH").SelectMany(e => e.Dependencies).ToHashSet();

    private static bool IsPartitioned(HashSet<int> attached, TocEntry e, TocEntry table) =>
        attached.Contains(e.DumpId) || attached.Contains(table.DumpId) || table.Definition?.Contains(" PARTITION BY ", StringComparison.Ordinal) == true;

    /// <summary>
    /// pg_dump writes "USING btree" in every CREATE INDEX ("btree" with --quote-all-identifiers); PRIMARY KEY and UNIQUE constraints are btree, but for keys
    /// WITHOUT OVERLAPS (PostgreSQL 18), which are GiST, as exclusion constraints are.
    /// </summary>
    private static bool IsBtree(TocEntry e) => e.Type == "CONSTRAINT"
        ? e.Definition is not { } d || !d.Contains(" EXCLUDE ", StringComparison.Ordinal) && !d.Contains(" WITHOUT OVERLAPS", StringComparison.Ordinal)
        : e.Definition is { } i && (i.Contains(" USING btree ", StringComparison.Ordinal) || i.Contains(" USING \"btree\" ", StringComparison.Ordinal));

    /// <summary>"schema.index": how estimates are keyed (<see cref="PlanOptions.IndexEstimates"/>).</summary>
    public static string EstimateKey(TocEntry index, TocEntry table) => $"{index.Schema}.{IndexName(index, table)}";

    /// <summary>The index's name: an INDEX entry's tag, or for a constraint the part of "table constraint" after the table.</summary>
    public static string IndexName(TocEntry e, TocEntry table) =>
        e.Type == "CONSTRAINT" && e.Name is { } tag && tag.StartsWith(table.Name + " ", StringComparison.Ordinal) ? tag[(table.Name!.Length + 1)..] : e.Name ?? "";
}
