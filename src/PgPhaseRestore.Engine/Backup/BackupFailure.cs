namespace PgPhaseRestore.Engine.Backup;

/// <summary>What kind of failure a <see cref="BackupException"/> is, for hosts that word it with their own flags.</summary>
public enum BackupFailure
{
    /// <summary>Anything not listed below.</summary>
    General,

    /// <summary>A complete backup is already at the destination, and replacing it was not asked for.</summary>
    Exists,
}
