namespace PgPhaseRestore.Engine.Verification;

/// <summary>How the target differs.</summary>
public enum DifferenceKind
{
    /// <summary>The archive has the object; the target does not.</summary>
    Missing,

    /// <summary>The object exists but is not usable: an invalid index, an unvalidated constraint, an unpopulated view.</summary>
    Invalid,

    /// <summary>A table holds another number of rows than the source.</summary>
    RowCount,
}
