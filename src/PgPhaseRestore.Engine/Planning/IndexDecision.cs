using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// Where the Auto strategy puts one index-building entry: early (phase 2, on the empty table) or late (after its
/// table's data in phase 3, with <see cref="SortBytes"/> of maintenance_work_mem), and why.
/// </summary>
/// <param name="Entry">The index-building entry.</param>
/// <param name="Late">Built after its table's data rather than before.</param>
/// <param name="SortBytes">The maintenance_work_mem its sort is expected to need (a late build runs with it), when its size is known.</param>
/// <param name="Reason">Why early or late.</param>
/// <param name="TableDataId">The dump id of its table's data, for a late build.</param>
public sealed record IndexDecision(TocEntry Entry, bool Late, long? SortBytes, string Reason, int? TableDataId)
{
    /// <summary>The estimate of its sort, with its basis, when there is one.</summary>
    public IndexSortEstimate? Estimate { get; init; }

    /// <summary>"late" or "early".</summary>
    public string When => Late ? "late" : "early";

    /// <summary>When, what and why, on one line.</summary>
    public override string ToString() => $"{When,-5} {Entry.Type} {Entry.QualifiedName}: {Reason}";
}
