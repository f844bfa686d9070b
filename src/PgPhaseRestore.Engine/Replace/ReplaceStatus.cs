namespace PgPhaseRestore.Engine.Replace;

/// <summary>How a replace ended.</summary>
public enum ReplaceStatus
{
    /// <summary>Restored, verified and swapped in: the live name holds the archive's contents.</summary>
    Replaced,

    /// <summary>A phase failed; the live database was not touched.</summary>
    RestoreFailed,

    /// <summary>The restored database differs from the archive; the live database was not touched.</summary>
    VerificationFailed,
}
