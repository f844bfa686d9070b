namespace PgPhaseRestore.Engine.Verification;

/// <summary>How row counts are compared with the source.</summary>
public enum RowCountMode
{
    /// <summary>No row counts.</summary>
    None,

    /// <summary>Target count(*) against the source's planner estimate (cheap on the source); tolerates 10 %.</summary>
    Estimate,

    /// <summary>count(*) on both sides, equal to the row.</summary>
    Exact,
}
