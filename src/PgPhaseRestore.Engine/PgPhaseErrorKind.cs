namespace PgPhaseRestore.Engine;

/// <summary>
/// What went wrong, in the terms a host reports it: PowerShell maps each kind to an ErrorCategory, the CLI to an
/// exit code. Every failure the engine lets through has one (<see cref="PgPhaseErrors.KindOf(Exception?)"/>).
/// </summary>
public enum PgPhaseErrorKind
{
    /// <summary>The operation failed for a reason none of the other kinds names.</summary>
    Failed,

    /// <summary>An argument, option, plan or input file the operation cannot work with.</summary>
    InvalidInput,

    /// <summary>A server or storage endpoint did not answer, or the connection broke.</summary>
    Connection,

    /// <summary>Credentials were missing or refused: no password, a wrong password or key, no S3 credentials.</summary>
    Authentication,

    /// <summary>Authenticated, but not allowed: no privilege on the database, access denied on the bucket.</summary>
    Permission,

    /// <summary>A database, archive, object, bucket, folder or tool does not exist.</summary>
    NotFound,

    /// <summary>Not a readable archive, or its bytes do not match what its manifest or TOC says.</summary>
    DamagedArchive,

    /// <summary>Something already exists where the operation would create it.</summary>
    AlreadyExists,

    /// <summary>The state of the target is in the way: a non-empty database, a half-restored phase, a journal of another run.</summary>
    Conflict,

    /// <summary>Another run or session holds what the operation needs; it can be tried again later.</summary>
    Busy,

    /// <summary>Stopped on request (Ctrl+C, a runbook stop, a cancelled token).</summary>
    Cancelled,
}
