namespace PgPhaseRestore.Demo;

/// <summary>The demo's outcome: the source, plain pg_restore, and each four-phase restore with its verification.</summary>
public sealed class DemoReport
{
    /// <summary>Rows of the sample orders table.</summary>
    public required int Rows { get; init; }

    /// <summary>Bytes the sample's tables take on the source.</summary>
    public required long TableBytes { get; init; }

    /// <summary>Bytes the sample's indexes take on the source.</summary>
    public required long IndexBytes { get; init; }

    /// <summary>The plain pg_restore the four-phase restores are compared with.</summary>
    public required DemoRestore Plain { get; init; }

    /// <summary>The four-phase restores: from the file with each strategy, and from s3rver when it ran.</summary>
    public required IReadOnlyList<DemoRestore> Phased { get; init; }

    /// <summary>Why the bucket round trip was left out (null when it ran).</summary>
    public string? BucketLeftOut { get; init; }

    /// <summary>Every four-phase restore succeeded and verified against the source with exact row counts.</summary>
    public bool Passed => Phased.Count > 0 && Phased.All(r => r.Succeeded && r.Verification is not null);
}
