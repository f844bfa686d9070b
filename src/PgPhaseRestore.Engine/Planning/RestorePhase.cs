using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// One phase of a plan: its entries in the order pg_restore will run them. Can be written as a pg_restore
/// list file, run on its own, or edited by hand.
/// </summary>
public sealed class RestorePhase
{
    internal RestorePhase(DumpArchive archive, PhaseKind kind, RestoreStrategy strategy, IReadOnlyList<TocEntry> entries,
        IReadOnlyList<IndexDecision>? lateBuilds = null, long? memoryBudget = null)
    {
        MemoryBudget = memoryBudget;
        Archive = archive;
        Kind = kind;
        Strategy = strategy;
        Entries = entries;
        LateBuilds = lateBuilds ?? [];
    }

    /// <summary>
    /// The four phases of the plan this one belongs to (empty for a phase made from a list file, which says all it
    /// restores): a run of some phases learns from them what the others would have done.
    /// </summary>
    internal IReadOnlyList<RestorePhase> PlanPhases { get; set; } = [];

    /// <summary>This phase with <paramref name="first"/> run before its own entries.</summary>
    internal RestorePhase WithEntriesFirst(IReadOnlyList<TocEntry> first) =>
        new(Archive, Kind, Strategy, [.. first, .. Entries], LateBuilds, MemoryBudget) { PlanPhases = PlanPhases };

    /// <summary>Auto, data phase: the index builds that run after their table's data, each with its sort memory.</summary>
    public IReadOnlyList<IndexDecision> LateBuilds { get; }

    /// <summary>Auto: the memory the late builds may use at once (their shares run side by side up to it).</summary>
    public long? MemoryBudget { get; }

    /// <summary>The archive the phase restores from.</summary>
    public DumpArchive Archive { get; }

    /// <summary>Which of the four phases this is.</summary>
    public PhaseKind Kind { get; }

    /// <summary>1 schema, 2 indexes, 3 data, 4 post-data.</summary>
    public int Number => (int)Kind;

    /// <summary>Schema, Indexes, Data or PostData.</summary>
    public string Name => Kind.ToString();

    /// <summary>The strategy the plan was made with.</summary>
    public RestoreStrategy Strategy { get; }

    /// <summary>The entries, in the order pg_restore runs them.</summary>
    public IReadOnlyList<TocEntry> Entries { get; }

    /// <summary>How many entries the phase runs.</summary>
    public int EntryCount => Entries.Count;

    /// <summary>The archive's location, so that phases bind to -Path downstream.</summary>
    public string Source => Archive.Source;

    /// <summary>Table data entries in this phase (progress is reported per table).</summary>
    public int TableCount => Entries.Count(e => e.Type == "TABLE DATA");

    /// <summary>The pg_restore list file of this phase.</summary>
    public string ToListFile() => RestoreList.Format(Archive, Entries);

    /// <summary>The list file's name, the same whether planned or kept by a restore: e.g. phase-2-indexes.list.</summary>
    public string ListFileName => $"phase-{Number}-{Name.ToLowerInvariant()}.list";

    /// <summary>Writes the list file (<see cref="ListFileName"/>); the name says archive and phase, e.g. phase-2-indexes.list.</summary>
    public string WriteListFile(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, ListFileName);
        File.WriteAllText(path, ToListFile());
        return path;
    }

    /// <summary>Number, name and entry count on one line.</summary>
    public override string ToString() => $"Phase {Number} {Name}: {Plural.Of(EntryCount, "entry")}";
}
