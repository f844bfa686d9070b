using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// Splits an archive into the four phases. Each entry gets its own phase from its type and section, then moves
/// later if anything it depends on is restored later (so comments follow the index they describe, and an
/// attachment follows both indexes it links). Within a phase, entries keep pg_dump's order, which is already a
/// dependency order. The result is validated before it is returned.
/// </summary>
internal static class PhasePlanner
{
    /// <summary>
    /// Splits the archive into the four phases with the strategy and filters of <paramref name="options"/> (default:
    /// PreCreate, everything).
    /// </summary>
    public static RestorePlan Plan(DumpArchive archive, PlanOptions? options = null)
    {
        options ??= new PlanOptions();
        var excluded = new List<ExcludedEntry>();
        var excludedIds = new Dictionary<int, bool>(); // dump id -> whether dependents follow it out
        var phaseOf = new Dictionary<int, PhaseKind>();
        var filter = new EntryFilter(options, archive);
        var decisions = IndexDecisions(archive, options, filter);
        var late = decisions.Where(d => d.Late).Select(d => d.Entry.DumpId).ToHashSet();

        PhaseKind current = PhaseKind.Schema;
        foreach (var e in archive.Entries)
        {
            if (e.IsSpecial)
                continue;
            if (!RestoreList.IsListedByPgRestore(e))
            {
                excluded.Add(new(e, NotRestorableReason(e)));
                excludedIds[e.DumpId] = false;
                continue;
            }

            // A descriptive entry (comment, label) goes wherever its object goes, including out of the plan.
            var parentOut = e.Dependencies.FirstOrDefault(d => excludedIds.TryGetValue(d, out bool follows) && (follows || EntryRules.IsDescriptive(e)));
            if (parentOut != 0)
            {
                excluded.Add(new(e, $"depends on excluded entry {archive.FindByDumpId(parentOut)}"));
                excludedIds[e.DumpId] = true;
                continue;
            }
            if (filter.Exclusion(e) is { } why)
            {
                excluded.Add(new(e, why.Reason));
                excludedIds[e.DumpId] = why.DependentsFollow;
                continue;
            }

            var phase = PhaseOf(e, options.Strategy, current, phaseOf, late);
            phaseOf[e.DumpId] = phase;
            if (e.Section != TocSection.None)
                current = phase;
        }

        var phases = Enum.GetValues<PhaseKind>().Select(kind =>
        {
            var entries = archive.Entries.Where(e => phaseOf.TryGetValue(e.DumpId, out var p) && p == kind);
            // Statistics describe loaded rows: apply them after every table is loaded; late builds close the phase.
            if (kind == PhaseKind.Data)
                entries = entries.OrderBy(e => late.Contains(e.DumpId) ? 2 : e.Type == "STATISTICS DATA" ? 1 : 0);
            var lateBuilds = kind == PhaseKind.Data ? decisions.Where(d => d.Late && phaseOf.ContainsKey(d.Entry.DumpId)).ToList() : [];
            return new RestorePhase(archive, kind, options.Strategy, entries.ToList(), lateBuilds, options.MemoryBudget ?? PlanOptions.DefaultMemoryBudget);
        }).ToList();
        foreach (var phase in phases)
            phase.PlanPhases = phases;

        var planned = decisions.Where(d => phaseOf.ContainsKey(d.Entry.DumpId)).ToList();
        // The gap is worth a warning only when an index this restore builds could have been late but had no size.
        var candidates = options.Strategy == RestoreStrategy.Auto ? AutoIndexPlanner.Candidates(archive).Select(c => c.Index.DumpId).ToHashSet() : [];
        bool unsized = planned.Any(d => !d.Late && d.Estimate is null && candidates.Contains(d.Entry.DumpId));
        var plan = new RestorePlan(archive, options.Strategy, phases, excluded, planned, unsized ? options.NoEstimateReason : null);
        plan.Validate();
        return plan;
    }

    /// <summary>Auto's decisions, with a late build kept early where its table's data is filtered out (nothing to wait for).</summary>
    private static List<IndexDecision> IndexDecisions(DumpArchive archive, PlanOptions options, EntryFilter filter)
    {
        var decisions = options.Strategy == RestoreStrategy.Auto ? AutoIndexPlanner.Decide(archive, options) : [];
        var dataKept = archive.Entries.Where(e => e.Type == "TABLE DATA" && filter.Exclusion(e) is null).Select(e => e.DumpId).ToHashSet();
        return decisions.Select(d => d.Late && !dataKept.Contains(d.TableDataId!.Value)
            ? d with { Late = false, Reason = "its table's data is not restored by this plan", TableDataId = null } : d).ToList();
    }

    /// <summary>An entry's phase: its own rule (or the section's current phase), never before what it depends on.</summary>
    private static PhaseKind PhaseOf(TocEntry e, RestoreStrategy strategy, PhaseKind current, Dictionary<int, PhaseKind> phaseOf, HashSet<int> late)
    {
        var phase = EntryRules.BasePhase(e, strategy) ?? (e.Section == TocSection.None ? PhaseKind.Schema : current);
        foreach (var dep in e.Dependencies)
        {
            if (phaseOf.TryGetValue(dep, out var depPhase) && depPhase > phase)
                phase = depPhase;
        }
        if (late.Contains(e.DumpId))
            return PhaseKind.Data; // built right after its table's data, in the data phase
        // Phase 3 holds data (and late index builds) only: what depends on data or on a late build comes after it.
        if (phase == PhaseKind.Data && (!EntryRules.IsData(e) || e.Dependencies.Any(late.Contains)))
            return PhaseKind.PostData;
        return phase;
    }

    private static string NotRestorableReason(TocEntry e) => e.Type switch
    {
        "DATABASE" or "DATABASE PROPERTIES" => "database-level entry: the target database is created separately",
        _ when e.Name?.StartsWith("DATABASE ", StringComparison.Ordinal) == true => "database-level entry: the target database is created separately",
        _ => "nothing to restore: no definition and no data (pg_restore -l does not list it)",
    };
}
