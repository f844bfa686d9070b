namespace PgPhaseRestore.Engine.Restore;

/// <summary>Which whole-restore refusal a <see cref="RestoreException"/> is, so a host can name the option that helps.</summary>
public enum RestoreFailure
{
    /// <summary>Anything not listed below.</summary>
    General,

    /// <summary>Another restore holds the target's lock.</summary>
    Busy,

    /// <summary>The target is reached through a transaction-mode pooler.</summary>
    Pooler,

    /// <summary>The restore lock was lost while the restore ran.</summary>
    LockLost,

    /// <summary>Sessions of an earlier run are still working on the target.</summary>
    StaleSessions,

    /// <summary>The target holds part of a phase that should be all or nothing.</summary>
    PartialPhase,

    /// <summary>The archive's owners cannot be set on the target by the restoring role.</summary>
    Ownership,
    /// <summary>The target database does not exist, and the restore was not asked to create it.</summary>
    TargetMissing,
    /// <summary>The target database already holds objects that phase 1 would run into.</summary>
    TargetNotEmpty,
    /// <summary>The journal says phases completed from this archive already.</summary>
    AlreadyRestored,
    /// <summary>A phase was interrupted; running it from its start could load rows twice.</summary>
    Interrupted,
    /// <summary>The target's journal belongs to a restore of another archive.</summary>
    OtherArchive,
    /// <summary>Tables the data phase would load already hold rows.</summary>
    TablesHoldRows,
}
