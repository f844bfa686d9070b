using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>An archive entry that no phase restores, and why. Nothing leaves the plan without a reason.</summary>
/// <param name="Entry">The entry left out.</param>
/// <param name="Reason">Why: a filter, or what it depends on that is left out.</param>
public sealed record ExcludedEntry(TocEntry Entry, string Reason);
