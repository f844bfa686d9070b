using System.Management.Automation;
using System.Reflection;
using System.Text.RegularExpressions;
using PgPhaseRestore.Engine;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>One engine failure code (or a server's SQLSTATE), and what to do about it in the cmdlets' parameters.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
internal sealed class RecommendsAttribute(object kind, string action) : Attribute
{
    public object Kind { get; } = kind;

    public string Action { get; } = action;
}

/// <summary>An engine option (its property name in the engine's options) and the cmdlets' parameter that sets it.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
internal sealed class ParameterForAttribute(string option, string parameter) : Attribute
{
    public string Option { get; } = option;

    public string Parameter { get; } = parameter;
}

/// <summary>
/// The engine says what to do in words and returns the kind of failure; this names the parameters that do it, as
/// the RecommendedAction of the ErrorRecord and at the end of its one-line message, for every cmdlet. pgphase words
/// the same kinds with its options. The table is declared as attributes so that a contract test reads it from the
/// compiled module: every kind has an entry ("" where no parameter helps), and every parameter it names exists. A
/// connection that fails is named by the parameters it came from (<see cref="Connections.From"/>), whichever
/// cmdlet and side (source, target, server) it was; a failure that one option's value caused, by the parameter that
/// sets that option (<see cref="ParameterForAttribute"/>).
/// </summary>
[Recommends(PgPhaseErrorCode.Failed, "")]
[Recommends(PgPhaseErrorCode.InvalidInput, "")]
[Recommends(PgPhaseErrorCode.Connection, "")]
[Recommends(PgPhaseErrorCode.Authentication, "")]
[Recommends(PgPhaseErrorCode.Permission, "")]
[Recommends(PgPhaseErrorCode.NotFound, "")]
[Recommends(PgPhaseErrorCode.DamagedArchive, "The archive's bytes are not what was written: restore from an undamaged copy in -Path (or -LiteralPath), or make a new backup.")]
[Recommends(PgPhaseErrorCode.AlreadyExists, "")]
[Recommends(PgPhaseErrorCode.Conflict, "")]
[Recommends(PgPhaseErrorCode.Busy, "")]
[Recommends(PgPhaseErrorCode.Cancelled, "")]
[Recommends(PgPhaseErrorCode.NameTooLong, "Give a name of 63 bytes or fewer (-TargetDatabase) (-Database), or name the database made beside it yourself (-SideDatabase) (-AsideName).")]
[Recommends(PgPhaseErrorCode.RestoreFailed, "")]
[Recommends(PgPhaseErrorCode.RestoreBusy, "Wait for the restore the message names to end, or restore into another database (-TargetDatabase).")]
[Recommends(PgPhaseErrorCode.Pooler, "Connect to the server's own port, or add -AllowPooler to go on without the one-restore-at-a-time lock.")]
[Recommends(PgPhaseErrorCode.LockLost, "Run the restore again with -Resume.")]
[Recommends(PgPhaseErrorCode.StaleSessions, "Wait for them to end, or add -StopStaleSessions.")]
[Recommends(PgPhaseErrorCode.PartialPhase, "Restore into a new database, or remove what is there and run again with -Resume.")]
[Recommends(PgPhaseErrorCode.Ownership, "Add -NoOwner (the restoring user then owns everything), or create the roles and grant them to the restoring user.")]
[Recommends(PgPhaseErrorCode.TargetMissing, "Add -CreateDatabase, or create the database first.")]
[Recommends(PgPhaseErrorCode.TargetNotEmpty, "Restore into an empty database, or add -AllowNonEmptyTarget.")]
[Recommends(PgPhaseErrorCode.PlanChanged, "Run again with the -Strategy and -MemoryBudget the restore started with (the message names them), or restore into a new database.")]
[Recommends(PgPhaseErrorCode.SelectionChanged, "Run those entries with -ListFile naming them and -Force, or restore into a new database.")]
[Recommends(PgPhaseErrorCode.RestoreComplete, "Restore into a new database (-TargetDatabase), or drop this one first.")]
[Recommends(PgPhaseErrorCode.SchemaWithoutRows, "Restore into a new database, or add -Force to load the rows through its foreign keys and triggers.")]
[Recommends(PgPhaseErrorCode.DataUnfinished, "Finish the data phase first: run it again with -Resume; or add -Force to run phase 4 over the rows there now.")]
[Recommends(PgPhaseErrorCode.AlreadyRestored, "Add -Resume to continue, or -Force to run the completed phases again.")]
[Recommends(PgPhaseErrorCode.Interrupted, "Run again with -Resume, so that no row is loaded twice.")]
[Recommends(PgPhaseErrorCode.OtherArchive, "Resume with the archive the journal names, or leave out -Resume to start over.")]
[Recommends(PgPhaseErrorCode.TablesHoldRows, "Add -Force to empty those tables and load the archive's rows (the rows there now are lost), or restore into a new database.")]
[Recommends(PgPhaseErrorCode.SwapState, "")]
[Recommends(PgPhaseErrorCode.SwapDatabaseMissing, "Check the database names given (-Database, -Replacement) and the server in -ServerConnection.")]
[Recommends(PgPhaseErrorCode.SwapNotPermitted, "Connect as a role that may, with -ServerCredential.")]
[Recommends(PgPhaseErrorCode.SwapSessions, "End them, or add -Force to block new connections and end them.")]
[Recommends(PgPhaseErrorCode.SwapBusy, "")]
[Recommends(PgPhaseErrorCode.SwapSessionsUnendable, "Connect as a role that may end them, with -ServerCredential.")]
[Recommends(PgPhaseErrorCode.NothingToReplace, "Restore it as a new database: -CreateDatabase, without -ReplaceDatabase.")]
[Recommends(PgPhaseErrorCode.BackupFailed, "")]
[Recommends(PgPhaseErrorCode.BackupExists, "Choose another -BackupName or -Path, or add -Force to replace it.")]
[Recommends(PgPhaseErrorCode.BackupBusy, "Wait for the backup the message names to end, or write this one elsewhere: another -Path (or -BackupName).")]
[Recommends(PgPhaseErrorCode.SourceLocked, "Wait for the session holding the lock to end, or wait longer with -LockWaitTimeout.")]
[Recommends(PgPhaseErrorCode.ArchiveUnreadable, "")]
[Recommends(PgPhaseErrorCode.ArchiveNotFound, "Check -Path (or -LiteralPath), and for an s3:// URI -S3Endpoint.")]
[Recommends(PgPhaseErrorCode.ArchiveAccessDenied, "Use keys that may do it: -S3Credential, -AccessKey and -SecretKey, or -ProfileName.")]
[Recommends(PgPhaseErrorCode.ArchiveUnreachable, "Check -S3Endpoint.")]
[Recommends(PgPhaseErrorCode.ArchiveNoCredentials, "Pass -S3Credential (the access key as user name), -AccessKey and -SecretKey, or -ProfileName.")]
[Recommends(PgPhaseErrorCode.ArchiveCredentialsRejected, "Check the keys in -S3Credential, -AccessKey and -SecretKey, or -ProfileName.")]
[Recommends(PgPhaseErrorCode.ArchiveAlreadyExists, "")]
[Recommends(PgPhaseErrorCode.ArchiveBucketHostUnknown, "Add -S3ForcePathStyle.")]
[Recommends(PgPhaseErrorCode.ArchiveNoRegion, "Give -Region, or -S3Endpoint for an S3-compatible server.")]
[Recommends(PgPhaseErrorCode.ArchiveProfileNotFound, "Check -ProfileName, or pass -S3Credential, or -AccessKey and -SecretKey.")]
[Recommends(PgPhaseErrorCode.NotAnArchive, "Check that -Path (or -LiteralPath) names a whole pg_dump archive in custom, directory or tar format.")]
[Recommends(PgPhaseErrorCode.NotABackup, "")]
[Recommends(PgPhaseErrorCode.PlanInvalid, "")]
[Recommends(PgPhaseErrorCode.ListFileInvalid, "Check -ListFile: its lines must be entries of the archive in -Path (as Split-PgRestorePhases -ListDirectory wrote them), or comments starting with ;.")]
// A connection that could not be opened: by the server's SQLSTATE, else by the parameters it came from (ForConnection).
[Recommends(PgPhaseErrorCode.ServerUnreachable, "")]
[Recommends(PgPhaseErrorCode.LoginFailed, "")]
[Recommends(PgPhaseErrorCode.ConnectNotPermitted, "")]
[Recommends(PgPhaseErrorCode.ConnectNotFound, "")]
[Recommends(PgPhaseErrorCode.ServerBusy, "")]
[Recommends(PgPhaseErrorCode.ConnectFailed, "")]
[Recommends("3D000", "Name an existing database, or let Invoke-PgPhaseRestore create it with -CreateDatabase.")]
[Recommends("53300", "Use fewer -Jobs, end idle sessions, or raise max_connections.")]
// A failure one option's value caused: "Correct" the parameter that set it ("Give" it, for a program not found).
[ParameterFor("JournalPath", "JournalPath")]
[ParameterFor("PgRestorePath", "PgRestorePath")]
[ParameterFor("PgDumpPath", "PgDumpPath")]
[ParameterFor("Role", "Role")]
[ParameterFor("SessionSettings", "SessionSetting")]
[ParameterFor("BackupName", "BackupName")]
[ParameterFor("Destination", "Path")]
[ParameterFor("Format", "Format")]
[ParameterFor("Compression", "Compression")]
[ParameterFor("Tables", "Table")]
[ParameterFor("Schemas", "Schema")]
internal static partial class RecommendedActions
{
    private static readonly Dictionary<string, string> Parameters = typeof(RecommendedActions).GetCustomAttributes<ParameterForAttribute>()
        .ToDictionary(a => a.Option, a => "-" + a.Parameter);

    private static readonly Dictionary<object, string> Table = typeof(RecommendedActions).GetCustomAttributes<RecommendsAttribute>()
        .ToDictionary(a => a.Kind, a => a.Action);

    /// <summary>What to do about <paramref name="ex"/> in parameters, or null when no parameter helps.</summary>
    public static string? For(Exception ex)
    {
        if (ex is not PgPhaseException own)
            return null;
        // A connection that could not be opened is answered by the server's SQLSTATE, else by where it came from.
        bool connecting = own.Code >= PgPhaseErrorCode.ServerUnreachable;
        object? kind = connecting ? own.SqlState : own.Code;
        if (kind is not null && Table.TryGetValue(kind, out var action) && action.Length > 0)
            return action;
        if (!connecting && own.Option is { } option && Parameters.TryGetValue(option, out var set))
            return own.Kind == PgPhaseErrorKind.NotFound ? $"Install it, or give its path with {set}." : $"Correct {set}.";
        if (!connecting && own.Kind == PgPhaseErrorKind.InvalidInput && Connections.ConnectionParameter(own.Origin) is { } parameter)
            return $"Correct {parameter}.";
        if (!connecting && own.Kind == PgPhaseErrorKind.Permission && own.Origin is not null)
            return ForConnection(own);
        return connecting ? ForConnection(own) : null;
    }

    /// <summary>What to change when a connection could not be made: the parameters it came from.</summary>
    private static string? ForConnection(PgPhaseException ex)
    {
        if (Connections.ConnectionParameter(ex.Origin) is not { } connection)
            return null;
        var credential = Connections.CredentialParameter(ex.Origin);
        return ex.Kind switch
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
    /// same parameters as its RecommendedAction; <paramref name="otherwise"/> where no parameter answers the failure's code.
    /// </summary>
    public static ErrorRecord Apply(ErrorRecord record, Exception ex, string? otherwise = null)
    {
        var action = For(ex) ?? otherwise;
        record.ErrorDetails = new ErrorDetails(Message(ex, action)) { RecommendedAction = action ?? "" };
        return record;
    }

    /// <summary>
    /// One line: the message, then the action unless the message already names every parameter it does. The action
    /// takes the place of the engine's own advice, which says the same without the parameters (<see cref="PgPhaseException.Fact"/>).
    /// </summary>
    internal static string Message(Exception ex, string? action)
    {
        var line = OneLine(ex.Message);
        if (action is null || Parameter().Matches(action).All(p => line.Contains(p.Value, StringComparison.Ordinal)))
            return line;
        if (ex is PgPhaseException { Fact: { } fact })
            line = OneLine(fact);
        return line.Length == 0 ? action : $"{line}{(line[^1] is '.' or '!' or '?' ? "" : ".")} {action}";
    }

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>
    /// The record as <paramref name="command"/> should give it: the table is shared by every cmdlet, so an aside
    /// that names only parameters this one does not have ("(or -LiteralPath)" on Backup-PgDatabase) is dropped, and
    /// an action that still names one (-AllowNonEmptyTarget from Copy-PgDatabase) is left out, the engine's message
    /// kept. An action that names the cmdlet it is for ("let Invoke-PgPhaseRestore create it") stays.
    /// </summary>
    public static ErrorRecord FitTo(CommandInfo command, ErrorRecord record)
    {
        if (record.ErrorDetails is not { RecommendedAction: { Length: > 0 } action } || OtherCmdlet().IsMatch(action))
            return record;
        var names = command.Parameters.Values.SelectMany(p => p.Aliases.Prepend(p.Name)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        bool Fits(string text) => Parameter().Matches(text).All(p => names.Contains(p.Value[1..]));
        if (Fits(action))
            return record;
        var fitted = Aside().Replace(action, m => Fits(m.Value) ? m.Value : "");
        fitted = Fits(fitted) && Parameter().IsMatch(fitted) ? fitted : "";
        record.ErrorDetails = new ErrorDetails(Message(record.Exception, fitted.Length > 0 ? fitted : null)) { RecommendedAction = fitted };
        return record;
    }

    // " (or -LiteralPath)": an alternative in parentheses, with the space before it.
    [GeneratedRegex(@" \([^()]*\)")]
    private static partial Regex Aside();

    [GeneratedRegex(@"(?<![\w-])-[A-Z][A-Za-z0-9]+")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"\b[A-Z][a-z]+-Pg[A-Za-z]+\b")]
    private static partial Regex OtherCmdlet();
}
