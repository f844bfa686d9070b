namespace PgPhaseRestore.Engine.Swap;

/// <summary>Which refusal a <see cref="SwapException"/> is.</summary>
public enum SwapFailure
{
    /// <summary>The catalog is not in a state the operation can start or finish from.</summary>
    State,

    /// <summary>A database involved does not exist.</summary>
    NotFound,

    /// <summary>The role may not rename, block or end what the operation needs.</summary>
    Permission,

    /// <summary>Other sessions are connected and were not (or could not be) ended.</summary>
    Sessions,

    /// <summary>Another swap of the same database is running.</summary>
    Busy,

    /// <summary>Sessions are connected that this role may not end (another role's, a superuser's): forcing does not help.</summary>
    Unendable,

    /// <summary>A replace names a database that does not exist: there is nothing to put the restore in the place of.</summary>
    NothingToReplace,
}
