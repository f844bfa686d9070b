namespace PgPhaseRestore.Engine.Planning;

public enum RestoreStrategy
{
    /// <summary>No index is ever built over a populated table: every index-building entry goes to phase 2.</summary>
    PreCreate,

    /// <summary>pg_restore's own order (pre-data, data, post-data), in the same four-phase shape, for comparison.</summary>
    Standard,
}
