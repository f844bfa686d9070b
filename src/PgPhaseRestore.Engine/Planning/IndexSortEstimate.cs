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
    /// <summary>"about 42 MB for 300,000 rows (archive scan: ...)".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"about {SizeText.Format(SortBytes)} for {Rows:N0} rows ({BasisText}: {How})");

    /// <summary>The basis as the plan names it.</summary>
    public string BasisText => Basis switch
    {
        SizeBasis.Manifest => "manifest",
        SizeBasis.Source => "source",
        _ => "archive scan",
    };
}
