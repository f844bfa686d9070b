using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Keeps a restore's runs agreeing on where each index goes. Auto's decisions depend on the memory budget, whose
/// default is the target's maintenance_work_mem, and on the strategy: a resume or a later phase planned with
/// other ones would look for indexes built early in the data phase, or for late ones in phase 2, and find the
/// phase "half there". The first run records each index-building entry's phase in the journal; a later run of the
/// same restore that places one elsewhere is refused, naming the plan to keep.
/// </summary>
internal static class IndexPlacement
{
    private static readonly HashSet<string> Movable = ["INDEX", "CONSTRAINT", "FK CONSTRAINT", "INDEX ATTACH"];

    /// <summary>The phase of each entry of <paramref name="phases"/> that a strategy or budget can move.</summary>
    public static Dictionary<int, int> Of(IReadOnlyList<RestorePhase> phases) =>
        phases.SelectMany(p => p.Entries.Where(e => Movable.Contains(e.Type)).Select(e => (e.DumpId, p.Number)))
            .GroupBy(x => x.DumpId).ToDictionary(g => g.Key, g => g.First().Number);

    /// <summary>How <paramref name="phases"/> were planned, for the journal and for messages.</summary>
    public static string Describe(IReadOnlyList<RestorePhase> phases)
    {
        var first = phases.FirstOrDefault();
        if (first is null)
            return "no phases";
        return first.Strategy == RestoreStrategy.Auto && phases.FirstOrDefault(p => p.Kind == PhaseKind.Data)?.MemoryBudget is { } budget
            ? $"Auto with a memory budget of {Exact(budget)}"
            : first.Strategy.ToString();
    }

    // As both hosts take it back: 64MB is 64 MiB for SizeText and for PowerShell's numeric suffixes alike.
    internal static string Exact(long bytes) =>
        bytes % (1L << 30) == 0 ? $"{bytes >> 30}GB" : bytes % (1L << 20) == 0 ? $"{bytes >> 20}MB" : bytes % 1024 == 0 ? $"{bytes >> 10}KB" : $"{bytes} bytes";

    /// <summary>
    /// Refuses <paramref name="phases"/> when they put an index in another phase than the restore they continue did,
    /// and either phase has started: what it built (or will look for) is then elsewhere. A placement in phases that
    /// have not started yet may still change.
    /// </summary>
    public static void Check(RestoreJournal journal, IReadOnlyList<RestorePhase> phases, string database)
    {
        var started = journal.StartedPhases.Concat(journal.CompletedPhases).ToHashSet();
        var moved = Of(phases).Where(kv => journal.IndexPhases.TryGetValue(kv.Key, out int before) && before != kv.Value
                                           && (started.Contains(before) || started.Contains(kv.Value)))
            .Select(kv => (Name: phases[0].Archive.FindByDumpId(kv.Key)?.QualifiedName ?? $"entry {kv.Key}", Before: journal.IndexPhases[kv.Key], Now: kv.Value)).ToList();
        if (moved.Count == 0)
            return;
        var examples = string.Join("; ", moved.Take(3).Select(m => $"{m.Name} was in phase {m.Before}, now phase {m.Now}"));
        var now = Describe(phases);
        var why = journal.IndexPlan is { } then && then != now
            ? $"that restore was planned as {then}, this run as {now}. Continue it with the same strategy and memory budget"
            : $"both were planned as {now}, but with other index sizes or another selection of tables (a manifest, a source " +
              "connection to size the indexes, or a filter that one run had and the other not). Continue it as it started";
        throw new PgPhaseException(
            $"this run places {Plural.Of(moved.Count, "index-building entry")} in other phases than the restore of \"{database}\" it continues " +
            $"({examples}{(moved.Count > 3 ? "; ..." : "")}): {why}, or restore into a new database", PgPhaseErrorCode.PlanChanged);
    }

    /// <summary>Records where <paramref name="phases"/> place each index-building entry, once <see cref="Check"/> has passed.</summary>
    public static void Record(RestoreJournal journal, IReadOnlyList<RestorePhase> phases) => journal.RecordIndexPhases(Of(phases), Describe(phases));
}
