namespace PgPhaseRestore.Engine.Verification;

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
