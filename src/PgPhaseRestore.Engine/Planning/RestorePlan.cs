using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>An archive split into four phases, plus what was left out and why.</summary>
public sealed class RestorePlan
{
    internal RestorePlan(DumpArchive archive, RestoreStrategy strategy, IReadOnlyList<RestorePhase> phases, IReadOnlyList<ExcludedEntry> excluded,
        IReadOnlyList<IndexDecision>? indexDecisions = null, string? sizingGap = null)
    {
        SizingGap = sizingGap;
        Archive = archive;
        Strategy = strategy;
        Phases = phases;
        Excluded = excluded;
        IndexDecisions = indexDecisions ?? [];
    }

    /// <summary>Auto: for every index-building entry, early or late and why (empty for the other strategies).</summary>
    public IReadOnlyList<IndexDecision> IndexDecisions { get; }

    /// <summary>
    /// Auto: why some or all indexes have no size, so are built early (no manifest in a bucket, a manifest that could
    /// not be read, data this scan cannot read...), or null when every index could be sized.
    /// </summary>
    public string? SizingGap { get; }

    /// <summary>The archive the plan splits.</summary>
    public DumpArchive Archive { get; }

    /// <summary>The strategy the plan was made with.</summary>
    public RestoreStrategy Strategy { get; }

    /// <summary>The four phases, in order.</summary>
    public IReadOnlyList<RestorePhase> Phases { get; }

    /// <summary>Entries no phase restores, each with the reason.</summary>
    public IReadOnlyList<ExcludedEntry> Excluded { get; }

    /// <summary>The phase of this kind.</summary>
    public RestorePhase this[PhaseKind kind] => Phases.Single(p => p.Kind == kind);

    /// <summary>
    /// Proves the plan is a partition of the archive in executable order: every entry restored by exactly one
    /// phase or excluded with a reason (special entries are applied by pg_restore itself), and every dependency
    /// restored before its dependent.
    /// </summary>
    internal void Validate()
    {
        var where = new Dictionary<int, (int Phase, int Position)>();
        foreach (var phase in Phases)
        {
            for (int i = 0; i < phase.Entries.Count; i++)
            {
                var e = phase.Entries[i];
                if (!where.TryAdd(e.DumpId, (phase.Number, i)))
                    throw new PgPhaseException($"{Archive.Source}: entry {e} is in phase {where[e.DumpId].Phase} and again in phase {phase.Number}", PgPhaseErrorCode.PlanInvalid);
            }
        }
        foreach (var x in Excluded)
        {
            if (where.ContainsKey(x.Entry.DumpId))
                throw new PgPhaseException($"{Archive.Source}: entry {x.Entry} is both excluded ({x.Reason}) and in phase {where[x.Entry.DumpId].Phase}", PgPhaseErrorCode.PlanInvalid);
        }

        var excludedIds = Excluded.Select(x => x.Entry.DumpId).ToHashSet();
        foreach (var e in Archive.Entries)
        {
            if (!e.IsSpecial && !where.ContainsKey(e.DumpId) && !excludedIds.Contains(e.DumpId))
                throw new PgPhaseException($"{Archive.Source}: entry {e} is in no phase and was not excluded: it would be silently dropped", PgPhaseErrorCode.PlanInvalid);
        }

        foreach (var phase in Phases)
        {
            for (int i = 0; i < phase.Entries.Count; i++)
            {
                var e = phase.Entries[i];
                foreach (var dep in e.Dependencies)
                {
                    if (!where.TryGetValue(dep, out var d))
                        continue; // not restored by this plan: special, excluded, or absent from the TOC
                    if (d.Phase > phase.Number || (d.Phase == phase.Number && d.Position > i))
                        throw new PgPhaseException(
                            $"{Archive.Source}: entry {e} (phase {phase.Number}) would run before {Archive.FindByDumpId(dep)} (phase {d.Phase}) that it depends on", PgPhaseErrorCode.PlanInvalid);
                }
            }
        }
    }
}
