namespace PgPhaseRestore.Engine.Swap;

/// <summary>Where a replace's side restore stands, so that a rerun with the same archive continues it instead of starting over.</summary>
internal sealed class ReplaceRecord
{
    public string Archive { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public string SideDatabase { get; set; } = "";
    public ReplaceStage Stage { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

internal enum ReplaceStage
{
    Restoring,
    RestoreFailed,
    VerificationFailed,
    Verified,
    Replaced,
}
