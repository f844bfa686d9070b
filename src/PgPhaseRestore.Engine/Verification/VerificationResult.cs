namespace PgPhaseRestore.Engine.Verification;

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
public sealed record VerificationDifference(DifferenceKind Kind, string ObjectType, string? Schema, string Name, string Expected, string Actual, int? DumpId)
{
    public override string ToString() => $"{Kind} {ObjectType} {(Schema is null ? "" : Schema + ".")}{Name}: expected {Expected}, found {Actual}";
}

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
    public required string Target { get; init; }
    public required string Source { get; init; }
    public required int ObjectsChecked { get; init; }
    public required int TablesCounted { get; init; }
    public required RowCountMode RowCounts { get; init; }
    public required IReadOnlyList<VerificationDifference> Differences { get; init; }

    /// <summary>What could not be checked, and why.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    public bool IsMatch => Differences.Count == 0;

    public override string ToString() =>
        IsMatch
            ? TablesCounted > 0 ? $"{Target}: {Plural.Of(ObjectsChecked, "object")} and {Plural.Of(TablesCounted, "table")} match {Source}" : $"{Target}: {Plural.Of(ObjectsChecked, "object")} match{(ObjectsChecked == 1 ? "es" : "")} {Source} (rows not counted)"
            : $"{Target}: {Plural.Of(Differences.Count, "difference")} from {Source}";
}
