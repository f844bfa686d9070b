namespace PgPhaseRestore.Engine.Planning;

/// <summary>How the plan orders index builds against the data.</summary>
public enum RestoreStrategy
{
    /// <summary>No index is ever built over a populated table: every index-building entry goes to phase 2.</summary>
    PreCreate,

    /// <summary>pg_restore's own order (pre-data, data, post-data), in the same four-phase shape, for comparison.</summary>
    Standard,

    /// <summary>
    /// Each btree index is built early (phase 2, on the empty table) or late (right after its table's data,
    /// in memory): late only when its sort fits in the memory budget, so no build spills to temp files.
    /// </summary>
    Auto,
}
