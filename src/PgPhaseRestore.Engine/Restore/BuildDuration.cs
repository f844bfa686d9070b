using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// A late build's expected duration, relative to the others', so that the longest start first and the last to
/// finish leaves no core idle for long: sorts of equal memory differ threefold in time. A build sorts its table's
/// rows. Rows already in the key's order take one pass (PostgreSQL's sort checks for that first); others take many
/// comparisons each, dearer for text, numeric and expressions (collations, variable widths) than for fixed-width
/// values. The weights follow PostgreSQL 15 on 3,000,000 rows sorted in memory (the `builds` benchmark): in key
/// order 0.7 s, bigint, uuid or float in any order 1.3 to 1.5 s, text in any order 3.0 s.
/// </summary>
internal static class BuildDuration
{
    /// <param name="rows">The rows the sort holds.</param>
    /// <param name="shape">The index's key, or null when its definition was not understood (taken as the dearest).</param>
    /// <param name="inKeyOrder">The rows came in the order of the key's first column (<see cref="IndexSortEstimate.InKeyOrder"/>).</param>
    public static double Relative(long rows, IndexKeyShape? shape, bool inKeyOrder) => rows * (inKeyOrder ? 1.0 : shape?.Parts[0].Type?.Kind switch
    {
        ColumnType.Width.Fixed => 2.0,
        ColumnType.Width.Numeric => 3.0,
        _ => 4.5,
    });
}
