using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>An archive entry that no phase restores, and why. Nothing leaves the plan without a reason.</summary>
public sealed record ExcludedEntry(TocEntry Entry, string Reason);
