using PgPhaseRestore.Engine;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>
/// The engine says what to do in words and returns the kind of failure; this names the pgphase options that do it.
/// The cmdlets word the same kinds with their parameters (PowerShell's Infrastructure/RecommendedActions), and a
/// test holds both tables complete and naming options that exist (it reads this table, hence public).
/// </summary>
public static class FlagHints
{
    /// <summary>Every failure code the engine reports, with the options that answer it ("" where none does).</summary>
    public static readonly IReadOnlyDictionary<PgPhaseErrorCode, string> ByKind = new Dictionary<PgPhaseErrorCode, string>
    {
        [PgPhaseErrorCode.Failed] = "",
        [PgPhaseErrorCode.InvalidInput] = "",
        [PgPhaseErrorCode.Connection] = "",
        [PgPhaseErrorCode.Authentication] = "",
        [PgPhaseErrorCode.Permission] = "",
        [PgPhaseErrorCode.NotFound] = "",
        [PgPhaseErrorCode.DamagedArchive] = "",
        [PgPhaseErrorCode.AlreadyExists] = "",
        [PgPhaseErrorCode.Conflict] = "",
        [PgPhaseErrorCode.Busy] = "",
        [PgPhaseErrorCode.Cancelled] = "",
        [PgPhaseErrorCode.NameTooLong] = "--side-database or --aside naming the database made beside it",
        [PgPhaseErrorCode.RestoreFailed] = "",
        [PgPhaseErrorCode.RestoreBusy] = "",
        [PgPhaseErrorCode.Pooler] = "--allow-pooler",
        [PgPhaseErrorCode.LockLost] = "--resume",
        [PgPhaseErrorCode.StaleSessions] = "--stop-stale-sessions",
        [PgPhaseErrorCode.PartialPhase] = "--resume",
        [PgPhaseErrorCode.Ownership] = "--no-owner",
        [PgPhaseErrorCode.TargetMissing] = "--create",
        [PgPhaseErrorCode.TargetNotEmpty] = "--allow-non-empty",
        [PgPhaseErrorCode.AlreadyRestored] = "--resume, or --force",
        [PgPhaseErrorCode.RestoreComplete] = "a new database in --target",
        [PgPhaseErrorCode.SchemaWithoutRows] = "--force",
        [PgPhaseErrorCode.DataUnfinished] = "--resume, or --force",
        [PgPhaseErrorCode.Interrupted] = "--resume",
        [PgPhaseErrorCode.OtherArchive] = "without --resume",
        [PgPhaseErrorCode.TablesHoldRows] = "--force",
        [PgPhaseErrorCode.SelectionChanged] = "--use-list naming them, with --force",
        [PgPhaseErrorCode.PlanChanged] = "--strategy and --memory-budget as the restore started with",
        [PgPhaseErrorCode.SwapState] = "",
        [PgPhaseErrorCode.SwapDatabaseMissing] = "",
        [PgPhaseErrorCode.SwapNotPermitted] = "",
        [PgPhaseErrorCode.SwapSessions] = "--force",
        [PgPhaseErrorCode.SwapBusy] = "",
        [PgPhaseErrorCode.SwapSessionsUnendable] = "",
        [PgPhaseErrorCode.NothingToReplace] = "--create, without --replace",
        [PgPhaseErrorCode.BackupFailed] = "",
        [PgPhaseErrorCode.BackupExists] = "--force",
        [PgPhaseErrorCode.BackupBusy] = "another --name",
        [PgPhaseErrorCode.SourceLocked] = "a longer --lock-wait-timeout",
        [PgPhaseErrorCode.ArchiveUnreadable] = "",
        [PgPhaseErrorCode.ArchiveNotFound] = "",
        [PgPhaseErrorCode.ArchiveAccessDenied] = "",
        [PgPhaseErrorCode.ArchiveUnreachable] = "",
        [PgPhaseErrorCode.ArchiveBucketHostUnknown] = "--s3-path-style",
        [PgPhaseErrorCode.ArchiveNoCredentials] = "--s3-profile",
        [PgPhaseErrorCode.ArchiveNoRegion] = "--s3-region, or --s3-endpoint",
        [PgPhaseErrorCode.ArchiveProfileNotFound] = "--s3-profile",
        [PgPhaseErrorCode.ArchiveCredentialsRejected] = "",
        [PgPhaseErrorCode.ArchiveAlreadyExists] = "",
        [PgPhaseErrorCode.NotAnArchive] = "",
        [PgPhaseErrorCode.ListFileInvalid] = "--use-list, with a list of this archive",
        [PgPhaseErrorCode.NotABackup] = "",
        [PgPhaseErrorCode.PlanInvalid] = "",
        // A connection that could not be opened is answered by the server's SQLSTATE (BySqlState).
        [PgPhaseErrorCode.ServerUnreachable] = "",
        [PgPhaseErrorCode.LoginFailed] = "",
        [PgPhaseErrorCode.ConnectNotPermitted] = "",
        [PgPhaseErrorCode.ConnectNotFound] = "",
        [PgPhaseErrorCode.ServerBusy] = "",
        [PgPhaseErrorCode.ConnectFailed] = "",
    };

    /// <summary>Connection failures the server names by SQLSTATE, with the options that answer them.</summary>
    public static readonly IReadOnlyDictionary<string, string> BySqlState = new Dictionary<string, string>
    {
        ["3D000"] = "a restore creates it with --create", // database does not exist
        ["53300"] = "fewer --jobs", // too many connections
    };

    /// <summary>The option a failure that one option's value caused names (<see cref="PgPhaseException.Option"/>), by the engine's name for it.</summary>
    public static readonly IReadOnlyDictionary<string, string> ByOption = new Dictionary<string, string>
    {
        ["JournalPath"] = "--journal",
        ["PgRestorePath"] = "--pg-restore",
        ["PgDumpPath"] = "--pg-dump",
        ["Role"] = "--role",
        ["SessionSettings"] = "--set",
        ["BackupName"] = "--name",
        ["Destination"] = "--to",
        ["Format"] = "--format",
        ["Compression"] = "--compress",
        ["Tables"] = "--table",
        ["Schemas"] = "--schema",
    };

    /// <summary>" (options)" for a failure that options answer, else "".</summary>
    public static string For(Exception ex)
    {
        var hint = ex switch
        {
            PgPhaseException { Code: >= PgPhaseErrorCode.ServerUnreachable, SqlState: { } state } => BySqlState.GetValueOrDefault(state, ""),
            PgPhaseException { Code: < PgPhaseErrorCode.ServerUnreachable } own => ByKind[own.Code] is { Length: > 0 } byKind ? byKind
                : own.Option is { } option ? ByOption.GetValueOrDefault(option, "") : "",
            _ => "",
        };
        return hint.Length == 0 ? "" : $" ({hint})";
    }
}
