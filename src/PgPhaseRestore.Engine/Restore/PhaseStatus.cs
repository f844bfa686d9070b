namespace PgPhaseRestore.Engine.Restore;

/// <summary>How a phase ended.</summary>
public enum PhaseStatus
{
    /// <summary>pg_restore finished without errors.</summary>
    Succeeded,

    /// <summary>pg_restore reported errors, or the phase could not finish.</summary>
    Failed,

    /// <summary>Done already: an earlier run completed it.</summary>
    Skipped,

    /// <summary>Stopped on request.</summary>
    Cancelled,

    /// <summary>Not run: an earlier phase failed.</summary>
    NotRun,
}
