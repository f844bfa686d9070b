namespace PgPhaseRestore.Engine.Backup;

/// <summary>What kind of failure a <see cref="BackupException"/> is, for hosts that word it with their own flags.</summary>
public enum BackupFailure
{
    /// <summary>Anything not listed below.</summary>
    General,

    /// <summary>A complete backup is already at the destination, and replacing it was not asked for.</summary>
    Exists,
}

/// <summary>A backup could not be made; the message says what was left behind (nothing, by design).</summary>
public sealed class BackupException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>A failure of the given kind.</summary>
    public BackupException(string message, BackupFailure kind) : this(message) => Kind = kind;

    /// <summary>What kind of failure this is.</summary>
    public BackupFailure Kind { get; }
}
