using System.Text.Json.Serialization;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>The outcome of one phase.</summary>
public sealed class PhaseResult
{
    /// <summary>1 schema, 2 indexes, 3 data, 4 post-data.</summary>
    public required int Phase { get; init; }

    /// <summary>Schema, Indexes, Data or PostData.</summary>
    public required string Name { get; init; }

    /// <summary>How the phase ended.</summary>
    public required PhaseStatus Status { get; init; }

    /// <summary>The target, user@host:port/database (no password).</summary>
    public required string Target { get; init; }

    /// <summary>The archive restored from.</summary>
    public required string Source { get; init; }

    /// <summary>When the phase started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>How long the phase took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Entries the phase ran.</summary>
    public int Entries { get; init; }

    /// <summary>Tables loaded by this run of the phase (phase 3).</summary>
    public int TablesLoaded { get; init; }

    /// <summary>What went wrong (or, after a success, the warnings pg_restore printed).</summary>
    public IReadOnlyList<RestoreError> Errors { get; init; } = [];

    /// <summary>How many errors (or warnings) there are; a column of the table view.</summary>
    [JsonIgnore]
    public int ErrorCount => Errors.Count;

    /// <summary>Why the phase was skipped or had nothing to do.</summary>
    public string? Note { get; init; }

    /// <summary>Phase, status, duration, entries and errors on one line.</summary>
    public override string ToString() => $"Phase {Phase} {Name}: {Status} in {Duration.TotalSeconds:F1} s ({Plural.Of(Entries, "entry")}, {Plural.Of(Errors.Count, "error")})";
}
