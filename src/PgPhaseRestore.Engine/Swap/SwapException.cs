namespace PgPhaseRestore.Engine.Swap;

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
