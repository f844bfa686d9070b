using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// Where the Auto strategy puts one index-building entry: early (phase 2, on the empty table) or late (after its
/// table's data in phase 3, with <see cref="SortBytes"/> of maintenance_work_mem), and why.
/// </summary>
public sealed record IndexDecision(TocEntry Entry, bool Late, long? SortBytes, string Reason, int? TableDataId)
{
    public string When => Late ? "late" : "early";

    public override string ToString() => $"{When,-5} {Entry.Type} {Entry.QualifiedName}: {Reason}";
}
