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

/// <summary>A swap, undo or replace refused or stopped, saying why and what state the databases are in.</summary>
public sealed class SwapException : PgPhaseException
{
    /// <summary>A refusal of the given sort.</summary>
    internal SwapException(string message, SwapFailure failure, Exception? inner = null) : base(message, KindOf(failure), inner) => Failure = failure;

    /// <summary>Which refusal this is.</summary>
    public SwapFailure Failure { get; }

    private static PgPhaseErrorKind KindOf(SwapFailure failure) => failure switch
    {
        SwapFailure.NotFound => PgPhaseErrorKind.NotFound,
        SwapFailure.Permission => PgPhaseErrorKind.Permission,
        SwapFailure.Sessions or SwapFailure.Busy => PgPhaseErrorKind.Busy,
        SwapFailure.Unendable => PgPhaseErrorKind.Permission,
        SwapFailure.NothingToReplace => PgPhaseErrorKind.NotFound,
        _ => PgPhaseErrorKind.Conflict,
    };
}
