namespace PgPhaseRestore.Demo;

/// <summary>What the demo builds and compares.</summary>
public sealed class DemoOptions
{
    /// <summary>Rows of the sample orders table unless asked otherwise.</summary>
    public const int DefaultRows = 300_000;

    /// <summary>Rows of the sample orders table.</summary>
    public int Rows { get; init; } = DefaultRows;

    /// <summary>Leave out the round trip through a local s3rver even when node and the launcher are there.</summary>
    public bool SkipBucket { get; init; }
}
