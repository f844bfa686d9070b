using System.Management.Automation;
using System.Reflection;
using System.Text.RegularExpressions;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Swap;

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
/// the RecommendedAction of the ErrorRecord and at the end of its one-line message, for every cmdlet. pgphase words
/// the same kinds with its options. The table is declared as attributes so that a contract test reads it from the
/// compiled module: every kind has an entry ("" where no parameter helps), and every parameter it names exists. A
/// connection that fails is named by the parameters it came from (<see cref="Connections.From"/>), whichever
/// cmdlet and side (source, target, server) it was.
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
[Recommends(ArchiveSourceProblem.NotFound, "Check -Path (or -LiteralPath), and for an s3:// URI -S3Endpoint.")]
[Recommends(ArchiveSourceProblem.AccessDenied, "Use keys that may do it: -S3Credential, -AccessKey and -SecretKey, or -ProfileName.")]
[Recommends(ArchiveSourceProblem.Unreachable, "Check -S3Endpoint.")]
[Recommends(ArchiveSourceProblem.NoCredentials, "Pass -S3Credential (the access key as user name), -AccessKey and -SecretKey, or -ProfileName.")]
[Recommends(ArchiveSourceProblem.CredentialsRejected, "Check the keys in -S3Credential, -AccessKey and -SecretKey, or -ProfileName.")]
[Recommends(ArchiveSourceProblem.AlreadyExists, "")]
[Recommends(ArchiveSourceProblem.BucketHostUnknown, "Add -S3ForcePathStyle.")]
[Recommends(ArchiveSourceProblem.NoRegion, "Give -Region, or -S3Endpoint for an S3-compatible server.")]
[Recommends(typeof(ArchiveFormatException), "Check that -Path (or -LiteralPath) names a whole pg_dump archive in custom, directory or tar format.")]
[Recommends("3D000", "Name an existing database, or let Invoke-PgPhaseRestore create it with -CreateDatabase.")]
[Recommends("53300", "Use fewer -Jobs, end idle sessions, or raise max_connections.")]
internal static partial class RecommendedActions
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
            ArchiveFormatException => typeof(ArchiveFormatException),
            PgConnectionException { SqlState: { } state } => state,
            _ => null,
        };
        if (kind is not null && Table.TryGetValue(kind, out var action) && action.Length > 0)
            return action;
        return ex is PgConnectionException connection ? ForConnection(connection) : null;
    }

    /// <summary>What to change when a connection could not be made: the parameters it came from.</summary>
    private static string? ForConnection(PgConnectionException ex)
    {
        if (Connections.ConnectionParameter(ex.Origin) is not { } connection)
            return null;
        var credential = Connections.CredentialParameter(ex.Origin);
        return PgPhaseErrors.KindOf(ex) switch
        {
            PgPhaseErrorKind.Authentication => credential is null
                ? $"Check the user and password of {connection}."
                : $"Pass the right user name and password with {credential}.",
            PgPhaseErrorKind.Permission => $"Connect as a role that may{(credential is null ? $", in {connection}" : $": {credential}")}.",
            PgPhaseErrorKind.Connection => $"Check the host and port in {connection}.",
            PgPhaseErrorKind.NotFound => $"Check the database and user in {connection}.",
            _ => null,
        };
    }

    /// <summary>
    /// Gives the record a one-line message that names the parameters to change, the engine's message first, and the
    /// same parameters as its RecommendedAction.
    /// </summary>
    public static ErrorRecord Apply(ErrorRecord record, Exception ex)
    {
        var action = For(ex);
        record.ErrorDetails = new ErrorDetails(Message(ex.Message, action)) { RecommendedAction = action ?? "" };
        return record;
    }

    /// <summary>One line: the message, then the action unless the message already names every parameter it does.</summary>
    internal static string Message(string message, string? action)
    {
        var line = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (action is null || Parameter().Matches(action).All(p => line.Contains(p.Value, StringComparison.Ordinal)))
            return line;
        return line.Length == 0 ? action : $"{line}{(line[^1] is '.' or '!' or '?' ? "" : ".")} {action}";
    }

    [GeneratedRegex(@"(?<![\w-])-[A-Z][A-Za-z0-9]+")]
    private static partial Regex Parameter();
}
