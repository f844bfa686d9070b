namespace PgPhaseRestore.Engine.Swap;

/// <summary>What kind of refusal a <see cref="SwapException"/> is, for hosts that map failures to categories.</summary>
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

/// <summary>
/// A swap, undo or replace refused or stopped, saying why and what state the databases are in. An
/// InvalidOperationException, so every host that reports engine refusals reports this one the same way.
/// </summary>
public sealed class SwapException : InvalidOperationException
{
    /// <summary>A refusal of the given kind; <paramref name="inner"/> is what caused it, if anything.</summary>
    public SwapException(string message, SwapFailure kind, Exception? inner = null) : base(message, inner) => Kind = kind;

    /// <summary>What kind of refusal this is, for hosts that map it to a category or word it with their flags.</summary>
    public SwapFailure Kind { get; }
}
