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
}

/// <summary>
/// A swap, undo or replace refused or stopped, saying why and what state the databases are in. An
/// InvalidOperationException, so every host that reports engine refusals reports this one the same way.
/// </summary>
public sealed class SwapException : InvalidOperationException
{
    public SwapException(string message, SwapFailure kind, Exception? inner = null) : base(message, inner) => Kind = kind;

    public SwapFailure Kind { get; }
}
