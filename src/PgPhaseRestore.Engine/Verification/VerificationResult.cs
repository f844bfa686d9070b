using System.Text.Json.Serialization;

namespace PgPhaseRestore.Engine.Verification;

/// <summary>What verification checked and what it found.</summary>
public sealed class VerificationResult
{
    /// <summary>The database checked, user@host:port/database.</summary>
    public required string Target { get; init; }

    /// <summary>The archive, and the source database when rows were counted.</summary>
    public required string Source { get; init; }

    /// <summary>Objects whose presence and validity were checked.</summary>
    public required int ObjectsChecked { get; init; }

    /// <summary>Tables whose rows were counted.</summary>
    public required int TablesCounted { get; init; }

    /// <summary>How rows were compared.</summary>
    public required RowCountMode RowCounts { get; init; }

    /// <summary>Every difference found; empty when the target matches.</summary>
    public required IReadOnlyList<VerificationDifference> Differences { get; init; }

    /// <summary>What could not be checked, and why.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>No difference was found.</summary>
    public bool IsMatch => Differences.Count == 0;

    /// <summary>How many differences were found; a column of the table view.</summary>
    [JsonIgnore]
    public int DifferenceCount => Differences.Count;

    /// <summary>The verdict on one line.</summary>
    public override string ToString() =>
        IsMatch
            ? TablesCounted > 0 ? $"{Target}: {Plural.Of(ObjectsChecked, "object")} and {Plural.Of(TablesCounted, "table")} match {Source}" : $"{Target}: {Plural.Of(ObjectsChecked, "object")} match{(ObjectsChecked == 1 ? "es" : "")} {Source} (rows not counted)"
            : $"{Target}: {Plural.Of(Differences.Count, "difference")} from {Source}";
}
