using System.Text.Json.Serialization;

namespace PgPhaseRestore.Engine.Verification;

/// <summary>How the target differs.</summary>
public enum DifferenceKind
{
    /// <summary>The archive has the object; the target does not.</summary>
    Missing,

    /// <summary>The object exists but is not usable: an invalid index, an unvalidated constraint, an unpopulated view.</summary>
    Invalid,

    /// <summary>A table holds another number of rows than the source.</summary>
    RowCount,
}

/// <summary>One way in which the target differs from the archive or the source.</summary>
/// <param name="Kind">Missing, invalid, or another row count.</param>
/// <param name="ObjectType">The TOC type of the object: INDEX, CONSTRAINT, TABLE...</param>
/// <param name="Schema">Its schema, if it has one.</param>
/// <param name="Name">Its name.</param>
/// <param name="Expected">What the archive or the source says.</param>
/// <param name="Actual">What the target has.</param>
/// <param name="DumpId">Its TOC entry, when it comes from the archive.</param>
public sealed record VerificationDifference(DifferenceKind Kind, string ObjectType, string? Schema, string Name, string Expected, string Actual, int? DumpId)
{
    /// <summary>Kind, object and what was expected against what was found.</summary>
    public override string ToString() => $"{Kind} {ObjectType} {(Schema is null ? "" : Schema + ".")}{Name}: expected {Expected}, found {Actual}";
}

/// <summary>How row counts are compared with the source.</summary>
public enum RowCountMode
{
    /// <summary>No row counts.</summary>
    None,

    /// <summary>Target count(*) against the source's planner estimate (cheap on the source); tolerates 10 %.</summary>
    Estimate,

    /// <summary>count(*) on both sides, equal to the row.</summary>
    Exact,
}

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
