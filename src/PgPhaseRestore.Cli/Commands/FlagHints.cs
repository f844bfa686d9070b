using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Swap;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>
/// The engine says what to do in words and returns the kind of failure; this names the pgphase options that do it.
/// The cmdlets word the same kinds with their parameters (PowerShell's Infrastructure/RecommendedActions), and a
/// test holds both tables complete and naming options that exist (it reads this table, hence public).
/// </summary>
public static class FlagHints
{
    /// <summary>Every failure kind the engine reports, with the options that answer it ("" where none does).</summary>
    public static readonly IReadOnlyDictionary<Enum, string> ByKind = new Dictionary<Enum, string>
    {
        [RestoreFailure.General] = "",
        [RestoreFailure.Busy] = "",
        [RestoreFailure.Pooler] = "--allow-pooler",
        [RestoreFailure.LockLost] = "--resume",
        [RestoreFailure.StaleSessions] = "--stop-stale-sessions",
        [RestoreFailure.PartialPhase] = "--resume",
        [RestoreFailure.Ownership] = "--no-owner",
        [RestoreFailure.TargetMissing] = "--create",
        [RestoreFailure.TargetNotEmpty] = "--allow-non-empty",
        [RestoreFailure.AlreadyRestored] = "--resume, or --force",
        [RestoreFailure.Interrupted] = "--resume",
        [RestoreFailure.OtherArchive] = "without --resume",
        [RestoreFailure.TablesHoldRows] = "--resume, or --force",
        [SwapFailure.State] = "",
        [SwapFailure.NotFound] = "",
        [SwapFailure.Permission] = "",
        [SwapFailure.Sessions] = "--force",
        [SwapFailure.Busy] = "",
        [SwapFailure.Unendable] = "",
        [SwapFailure.NothingToReplace] = "--create, without --replace",
        [BackupFailure.General] = "",
        [BackupFailure.Exists] = "--force",
        [ArchiveSourceProblem.Other] = "",
        [ArchiveSourceProblem.NotFound] = "",
        [ArchiveSourceProblem.AccessDenied] = "",
        [ArchiveSourceProblem.Unreachable] = "",
        [ArchiveSourceProblem.BucketHostUnknown] = "--s3-path-style",
        [ArchiveSourceProblem.NoCredentials] = "--s3-profile",
        [ArchiveSourceProblem.NoRegion] = "--s3-region, or --s3-endpoint",
        [ArchiveSourceProblem.CredentialsRejected] = "",
        [ArchiveSourceProblem.AlreadyExists] = "",
    };

    /// <summary>Connection failures the server names by SQLSTATE, with the options that answer them.</summary>
    public static readonly IReadOnlyDictionary<string, string> BySqlState = new Dictionary<string, string>
    {
        ["3D000"] = "a restore creates it with --create", // database does not exist
        ["53300"] = "fewer --jobs", // too many connections
    };

    /// <summary>" (options)" for a failure that options answer, else "".</summary>
    public static string For(Exception ex)
    {
        var hint = ex switch
        {
            RestoreException r => ByKind[r.Failure],
            SwapException s => ByKind[s.Failure],
            BackupException b => ByKind[b.Failure],
            ArchiveSourceException a => ByKind[a.Problem],
            PgConnectionException { SqlState: { } state } => BySqlState.GetValueOrDefault(state, ""),
            _ => "",
        };
        return hint.Length == 0 ? "" : $" ({hint})";
    }
}
