using System.Management.Automation;
using System.Reflection;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Swap;
using PgPhaseRestore.Engine.Tools;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>One engine failure kind (or a server's SQLSTATE), and what to do about it in the cmdlets' parameters.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
internal sealed class RecommendsAttribute(object kind, string action) : Attribute
{
    public object Kind { get; } = kind;

    public string Action { get; } = action;
}

/// <summary>
/// The engine says what to do in words and returns the kind of failure; this names the parameters that do it, as
/// the RecommendedAction of the ErrorRecord, for every cmdlet. pgphase words the same kinds with its options. The
/// table is declared as attributes so that a contract test reads it from the compiled module: every kind has an
/// entry ("" where no parameter helps), and every parameter it names exists.
/// </summary>
[Recommends(RestoreFailure.General, "")]
[Recommends(RestoreFailure.Busy, "")]
[Recommends(RestoreFailure.Pooler, "Connect to the server's own port, or add -AllowPooler to go on without the one-restore-at-a-time lock.")]
[Recommends(RestoreFailure.LockLost, "Run the restore again with -Resume.")]
[Recommends(RestoreFailure.StaleSessions, "Wait for them to end, or add -StopStaleSessions.")]
[Recommends(RestoreFailure.PartialPhase, "Restore into a new database, or remove what is there and run again with -Resume.")]
[Recommends(RestoreFailure.Ownership, "Add -NoOwner (the restoring user then owns everything), or create the roles and grant them to the restoring user.")]
[Recommends(RestoreFailure.TargetMissing, "Add -CreateDatabase, or create the database first.")]
[Recommends(RestoreFailure.TargetNotEmpty, "Restore into an empty database, or add -AllowNonEmptyTarget.")]
[Recommends(RestoreFailure.AlreadyRestored, "Add -Resume to continue, or -Force to run the completed phases again.")]
[Recommends(RestoreFailure.Interrupted, "Run again with -Resume.")]
[Recommends(RestoreFailure.OtherArchive, "Resume with the archive the journal names, or leave out -Resume to start over.")]
[Recommends(RestoreFailure.TablesHoldRows, "Add -Resume to continue, or -Force to empty those tables and load them again.")]
[Recommends(SwapFailure.State, "")]
[Recommends(SwapFailure.NotFound, "")]
[Recommends(SwapFailure.Permission, "")]
[Recommends(SwapFailure.Sessions, "End them, or add -Force to block new connections and end them.")]
[Recommends(SwapFailure.Busy, "")]
[Recommends(SwapFailure.Unendable, "")]
[Recommends(SwapFailure.NothingToReplace, "Restore it as a new database: -CreateDatabase, without -ReplaceDatabase.")]
[Recommends(BackupFailure.General, "")]
[Recommends(BackupFailure.Exists, "Choose another -BackupName or -Path, or add -Force to replace it.")]
[Recommends(ArchiveSourceProblem.Other, "")]
[Recommends(ArchiveSourceProblem.NotFound, "")]
[Recommends(ArchiveSourceProblem.AccessDenied, "")]
[Recommends(ArchiveSourceProblem.Unreachable, "")]
[Recommends(ArchiveSourceProblem.NoCredentials, "Pass -S3Credential (the access key as user name), -AccessKey and -SecretKey, or -ProfileName.")]
[Recommends(ArchiveSourceProblem.CredentialsRejected, "")]
[Recommends(ArchiveSourceProblem.AlreadyExists, "")]
[Recommends("3D000", "Name an existing database, or let Invoke-PgPhaseRestore create it with -CreateDatabase.")]
[Recommends("53300", "Use fewer -Jobs, end idle sessions, or raise max_connections.")]
internal static class RecommendedActions
{
    private static readonly Dictionary<object, string> Table = typeof(RecommendedActions).GetCustomAttributes<RecommendsAttribute>()
        .ToDictionary(a => a.Kind, a => a.Action);

    /// <summary>What to do about <paramref name="ex"/> in parameters, or null when no parameter helps.</summary>
    public static string? For(Exception ex)
    {
        object? kind = ex switch
        {
            RestoreException r => r.Failure,
            SwapException s => s.Failure,
            BackupException b => b.Failure,
            ArchiveSourceException a => a.Problem,
            PgConnectionException { SqlState: { } state } => state,
            _ => null,
        };
        return kind is not null && Table.TryGetValue(kind, out var action) && action.Length > 0 ? action : null;
    }

    /// <summary>Sets the record's RecommendedAction when a parameter helps; the message stays the engine's.</summary>
    public static ErrorRecord Apply(ErrorRecord record, Exception ex)
    {
        if (For(ex) is { } action)
            record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = action };
        return record;
    }
}
