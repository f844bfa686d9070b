namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// A plan that would not restore the archive exactly (an entry in two phases, or one missing, or out of dependency
/// order), or what a plan needs could not be read.
/// </summary>
public sealed class PlanException : PgPhaseException
{
    /// <summary>A plan that cannot restore the archive as it is.</summary>
    internal PlanException(string message) : base(message, PgPhaseErrorKind.InvalidInput) { }

    /// <summary>What the plan needs could not be read, for the reason <paramref name="inner"/> gives.</summary>
    internal PlanException(string message, Exception inner) : base(message, inner) { }
}
