namespace PgPhaseRestore.Engine;

/// <summary>
/// What went wrong, one value per failure the engine reports (as PostgreSQL's SQLSTATE is for a server): hosts key
/// their hints by it, and the <see cref="PgPhaseErrorKind"/> they map to categories and exit codes follows from it
/// (<see cref="PgPhaseException.Kind"/>). The values are grouped in ranges by what failed: the general ones, then a
/// restore, a swap, a backup, an archive's storage, an archive's contents, a plan and a connection.
/// </summary>
public enum PgPhaseErrorCode
{
    /// <summary>A failure no other code names.</summary>
    Failed = 0,

    /// <summary>An argument, option or input the operation cannot work with.</summary>
    InvalidInput = 1,

    /// <summary>A server or endpoint did not answer, or the connection broke.</summary>
    Connection = 2,

    /// <summary>Credentials were missing or refused.</summary>
    Authentication = 3,

    /// <summary>Authenticated, but not allowed.</summary>
    Permission = 4,

    /// <summary>Something the operation needs does not exist.</summary>
    NotFound = 5,

    /// <summary>An archive's bytes do not match what its manifest or TOC says.</summary>
    DamagedArchive = 6,

    /// <summary>Something already exists where the operation would create it.</summary>
    AlreadyExists = 7,

    /// <summary>The state of the target is in the way.</summary>
    Conflict = 8,

    /// <summary>Another run or session holds what the operation needs.</summary>
    Busy = 9,

    /// <summary>Stopped on request.</summary>
    Cancelled = 10,

    /// <summary>A database name is longer than the 63 bytes PostgreSQL keeps: it would be cut to another name.</summary>
    NameTooLong = 11,

    /// <summary>A restore failed as a whole, for a reason none of the restore codes below names.</summary>
    RestoreFailed = 100,

    /// <summary>Another restore holds the target's lock.</summary>
    RestoreBusy = 101,

    /// <summary>The target is reached through a transaction-mode pooler.</summary>
    Pooler = 102,

    /// <summary>The restore lock was lost while the restore ran.</summary>
    LockLost = 103,

    /// <summary>Sessions of an earlier run are still working on the target.</summary>
    StaleSessions = 104,

    /// <summary>The target holds part of a phase that should be all or nothing.</summary>
    PartialPhase = 105,

    /// <summary>The archive's owners cannot be set on the target by the restoring role.</summary>
    Ownership = 106,

    /// <summary>The target database does not exist, and the restore was not asked to create it.</summary>
    TargetMissing = 107,

    /// <summary>The target database already holds objects that phase 1 would run into.</summary>
    TargetNotEmpty = 108,

    /// <summary>The journal says phases completed from this archive already.</summary>
    AlreadyRestored = 109,

    /// <summary>A phase was interrupted; running it from its start could load rows twice.</summary>
    Interrupted = 110,

    /// <summary>The target's journal belongs to a restore of another archive.</summary>
    OtherArchive = 111,

    /// <summary>Tables the data phase would load already hold rows that no run in the journal loaded: not a restore's to empty.</summary>
    TablesHoldRows = 112,

    /// <summary>A resume selects tables that the run which completed the data phase did not load.</summary>
    SelectionChanged = 113,

    /// <summary>A run of a restore places indexes in other phases than the run it continues (another strategy or memory budget).</summary>
    PlanChanged = 114,

    /// <summary>Every phase a run selects, phase 1 among them, completed already on the target from this archive.</summary>
    RestoreComplete = 115,

    /// <summary>Phase 4 completed without the data phase: rows loaded now would go through its foreign keys and triggers.</summary>
    SchemaWithoutRows = 116,

    /// <summary>Phase 4 is asked for while the data phase started and did not complete: it would work over part of the rows.</summary>
    DataUnfinished = 117,

    /// <summary>The catalog is not in a state a swap, undo or replace can start or finish from.</summary>
    SwapState = 200,

    /// <summary>A database a swap involves does not exist.</summary>
    SwapDatabaseMissing = 201,

    /// <summary>The role may not rename, block or end what the swap needs.</summary>
    SwapNotPermitted = 202,

    /// <summary>Other sessions are connected and were not (or could not be) ended.</summary>
    SwapSessions = 203,

    /// <summary>Another swap of the same database is running.</summary>
    SwapBusy = 204,

    /// <summary>Sessions are connected that this role may not end: forcing does not help.</summary>
    SwapSessionsUnendable = 205,

    /// <summary>A replace names a database that does not exist: there is nothing to put the restore in the place of.</summary>
    NothingToReplace = 206,

    /// <summary>A backup could not be made, for a reason no other code names.</summary>
    BackupFailed = 300,

    /// <summary>A complete backup is already at the destination, and replacing it was not asked for.</summary>
    BackupExists = 301,

    /// <summary>Another backup is writing to the same destination: this one did not start.</summary>
    BackupBusy = 302,

    /// <summary>A table of the source stayed locked by another session past the backup's lock wait.</summary>
    SourceLocked = 303,

    /// <summary>An archive or its storage could not be read or written, for a reason none of the codes below names.</summary>
    ArchiveUnreadable = 400,

    /// <summary>No such file, folder, object or bucket.</summary>
    ArchiveNotFound = 401,

    /// <summary>The storage's credentials are valid but may not do what was asked.</summary>
    ArchiveAccessDenied = 402,

    /// <summary>The storage endpoint did not answer: refused, unresolved, TLS failure, timeout.</summary>
    ArchiveUnreachable = 403,

    /// <summary>No credentials could be found for the storage.</summary>
    ArchiveNoCredentials = 404,

    /// <summary>A conditional write was refused: something else was written at the key first.</summary>
    ArchiveAlreadyExists = 405,

    /// <summary>The endpoint does not accept the credentials: an unknown key, a secret that does not match, an expired token.</summary>
    ArchiveCredentialsRejected = 406,

    /// <summary>The bucket's virtual-hosted name is not known to DNS though the endpoint's host is: path-style addressing reaches it.</summary>
    ArchiveBucketHostUnknown = 407,

    /// <summary>Neither a region nor an endpoint says where the bucket is.</summary>
    ArchiveNoRegion = 408,

    /// <summary>The named AWS profile is in neither the shared credentials file nor the config file.</summary>
    ArchiveProfileNotFound = 409,

    /// <summary>The input is not a readable pg_dump archive; the message names the source and, for damaged data, the offset.</summary>
    NotAnArchive = 500,

    /// <summary>A manifest where backups are listed that marks no complete backup: unreadable, not a backup's manifest, or without its archive.</summary>
    NotABackup = 501,

    /// <summary>A plan that would not restore the archive exactly (an entry in two phases, one missing, or out of order).</summary>
    PlanInvalid = 600,

    /// <summary>A list file to restore from (an edited phase list) names no entry of the archive, or is not a list.</summary>
    ListFileInvalid = 601,

    /// <summary>A server did not answer, or the connection broke while it was being opened.</summary>
    ServerUnreachable = 700,

    /// <summary>The server refused the login: no password, a wrong one, no such role.</summary>
    LoginFailed = 701,

    /// <summary>Logged in, but not allowed to connect to that database.</summary>
    ConnectNotPermitted = 702,

    /// <summary>The database named in the connection does not exist.</summary>
    ConnectNotFound = 703,

    /// <summary>The server admits no more connections now (too many, starting up, shutting down).</summary>
    ServerBusy = 704,

    /// <summary>A connection could not be opened for a reason none of the codes above names.</summary>
    ConnectFailed = 705,
}
