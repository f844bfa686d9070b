namespace PgPhaseRestore.Engine.Planning;

/// <summary>A plan that would not restore the archive exactly: an entry in two phases, or one missing, or out of dependency order.</summary>
public sealed class PlanException(string message) : Exception(message);
