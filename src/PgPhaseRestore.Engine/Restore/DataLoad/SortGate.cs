using System.Globalization;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// One table's load, measured on its way to the sessions: every row sizes the sorts of the table's provisional late
/// builds (<see cref="IndexSortEstimate.Provisional"/>), and the load stops before anything commits once one of them
/// is past the budget.
/// </summary>
internal sealed class SortGate
{
    private readonly CopyRowMeter? _meter;
    private readonly long _budget;

    /// <param name="table">The table's data entry.</param>
    /// <param name="builds">Its provisional late builds.</param>
    /// <param name="meter">Measures them, in the order of <paramref name="builds"/>; null when their keys cannot be read, which stops the load at once.</param>
    /// <param name="budget">What each sort must fit in.</param>
    public SortGate(TocEntry table, IReadOnlyList<IndexDecision> builds, CopyRowMeter? meter, long budget)
    {
        (Table, Builds, _meter, _budget) = (table, builds, meter, budget);
    }

    public TocEntry Table { get; }

    public IReadOnlyList<IndexDecision> Builds { get; }

    /// <summary>Rows measured so far.</summary>
    public long Rows => _meter?.Rows ?? 0;

    /// <summary>Measures the next rows (whole lines of COPY text).</summary>
    public void Feed(ReadOnlySpan<byte> rows) => _meter?.Feed(rows);

    /// <summary>Each build's sort as measured so far, by its entry's dump id.</summary>
    public Dictionary<int, long> Measured() =>
        Builds.Select((b, i) => (b.Entry.DumpId, Bytes: SortMemory.Total(_meter?.TupleMemory[i] ?? long.MaxValue / 2))).ToDictionary(x => x.DumpId, x => x.Bytes);

    /// <summary>Stops the load, naming the builds whose sorts are past the budget (<see cref="Outgrown"/>), if any.</summary>
    public void ThrowIfOver()
    {
        // Checked at every chunk of rows: no allocation until a sort is past the budget.
        bool past = _meter is null;
        var memory = _meter?.TupleMemory ?? [];
        for (int i = 0; i < memory.Count && !past; i++)
            past = SortMemory.Total(memory[i]) > _budget;
        if (!past)
            return;
        var measured = Measured();
        var over = Builds.Where(b => measured[b.Entry.DumpId] > _budget).ToList();
        var what = _meter is null
            ? "their keys could not be read from the table's COPY columns"
            : string.Join(", ", over.Select(b => string.Create(CultureInfo.InvariantCulture,
                $"{b.Entry.QualifiedName} at least {SizeText.Format(measured[b.Entry.DumpId])} (planned from {(b.SortBytes is { } p ? SizeText.Format(p) : "no estimate")})"))) +
              string.Create(CultureInfo.InvariantCulture, $" after {Rows:N0} rows");
        Outgrown = over;
        Why = _meter is null
            ? $"{Table.QualifiedName}: the sort of {Plural.Of(over.Count, "provisional late build")} cannot be measured as the rows load: {what}"
            : $"{Table.QualifiedName}: the sort of {Plural.Of(over.Count, "provisional late build")} outgrew the {SizeText.Format(_budget)} budget as the rows loaded: {what}";
        throw new PgPhaseException(Why, PgPhaseErrorCode.RestoreFailed);
    }

    /// <summary>
    /// Once <see cref="ThrowIfOver"/> has stopped the load (nothing committed), the builds that must be built before
    /// the rows instead; null while every sort fits.
    /// </summary>
    public IReadOnlyList<IndexDecision>? Outgrown { get; private set; }

    /// <summary>What stopped the load, once it stopped: the table, the builds and their measured sizes.</summary>
    public string? Why { get; private set; }
}
