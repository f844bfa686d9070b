namespace PgPhaseRestore.Engine.Swap;

/// <summary>Which operation a swap journal records.</summary>
public enum SwapKind
{
    /// <summary>The replacement takes the live name; the live database moves aside.</summary>
    Swap,

    /// <summary>The database a completed swap put aside takes the live name back.</summary>
    Undo,

    /// <summary>An interrupted swap taken back to where it started.</summary>
    Rollback,
}
