using System.Globalization;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// The memory an index's build sort is expected to need, as maintenance_work_mem, erring on the large side.
/// </summary>
/// <param name="Rows">Tuples the sort holds (the table's rows).</param>
/// <param name="SortBytes">maintenance_work_mem that holds the whole sort in memory.</param>
/// <param name="Basis">Where the numbers came from.</param>
/// <param name="How">How the estimate was made, for the plan.</param>
public sealed record IndexSortEstimate(long Rows, long SortBytes, SizeBasis Basis, string How)
{
    /// <summary>
    /// The scan stopped once the sort was past the budget it was sizing for: the sort needs at least this much, from
    /// the first <see cref="Rows"/> rows. Good for deciding "early" under that budget, never for a larger one.
    /// </summary>
    public bool AtLeast { get; init; }

    /// <summary>
    /// The scan stopped once the share of the table's data it had read projected the sort well past the budget it
    /// was sizing for: <see cref="Rows"/> and <see cref="SortBytes"/> are that projection, not a measurement. Good for
    /// deciding "early" under that budget (an early build never spills), never for deciding "late".
    /// </summary>
    public bool Projected { get; init; }

    /// <summary>
    /// The scan stopped once the share of the table's data it had read projected the sort well inside the budget:
    /// <see cref="Rows"/> and <see cref="SortBytes"/> are that projection. Good for planning "late" only when the
    /// restore measures every row as it loads and commits none until each such sort is confirmed inside the budget
    /// (a sort found larger is built early instead, and the table loaded again); the late build then runs with the
    /// measured size, never this one.
    /// </summary>
    public bool Provisional { get; init; }

    /// <summary>
    /// The rows read came in the order of the index's first key column (ascending): its build's sort finds them
    /// sorted and takes a pass where rows in any order take many comparisons each. Orders late builds (the longest
    /// first); never sizes one.
    /// </summary>
    public bool InKeyOrder { get; init; }

    /// <summary>
    /// "about 42 MB for 300,000 rows (archive scan: ...)", "at least 80 MB ..." for a scan stopped past the budget,
    /// "projected at 300 MB for about 3,000,000 rows ..." for one stopped on a projection.
    /// </summary>
    public override string ToString() => AtLeast
        ? string.Create(CultureInfo.InvariantCulture, $"at least {SizeText.Format(SortBytes)} for its first {Rows:N0} rows ({BasisText}: {How})")
        : Projected || Provisional
            ? string.Create(CultureInfo.InvariantCulture, $"projected at {SizeText.Format(SortBytes)} for about {Rows:N0} rows ({BasisText}: {How})")
            : string.Create(CultureInfo.InvariantCulture, $"about {SizeText.Format(SortBytes)} for {Rows:N0} rows ({BasisText}: {How})");

    /// <summary>The basis as the plan names it.</summary>
    public string BasisText => Basis switch
    {
        SizeBasis.Manifest => "manifest",
        SizeBasis.Source => "source",
        _ => "archive scan",
    };
}
