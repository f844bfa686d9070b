using System.Collections;
using System.Management.Automation;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.PowerShell.Completers;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// The target and every restore setting, declared once for Invoke-PgPhaseRestore and Copy-PgDatabase, so that
/// a restore behaves the same whichever cmdlet runs it.
/// </summary>
public abstract class PgRestoreCmdletBase : PgPlanCmdletBase
{
    /// <summary>The target server or database as a libpq string or URI (PG* variables fill the rest). No password here: use -TargetCredential.</summary>
    [Parameter(Mandatory = true)]
    [Alias("Target")]
    [ValidateNotNullOrEmpty]
    [ConnectionText]
    public string TargetConnection { get; set; } = "";

    /// <summary>The database to restore into; overrides any dbname in -TargetConnection (Copy-PgDatabase: default the source database's name).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    public string? TargetDatabase { get; set; }

    /// <summary>
    /// User name and password for the target. Each cmdlet declares it with its own aliases: -Credential is an alias
    /// only where the target is the one database the cmdlet reaches.
    /// </summary>
    public abstract PSCredential? TargetCredential { get; set; }

    /// <summary>Create the target database when it does not exist (needs only CREATEDB).</summary>
    [Parameter]
    public SwitchParameter CreateDatabase { get; set; }

    /// <summary>Do not restore object ownership: objects belong to the restoring user (needed without superuser).</summary>
    [Parameter]
    public SwitchParameter NoOwner { get; set; }

    /// <summary>SET ROLE to this role after connecting (pg_restore --role).</summary>
    [Parameter]
    public string? Role { get; set; }

    /// <summary>Parallel jobs for the data phase (local custom, directory and tar archives, and bucket backups whose manifest maps their data blocks).</summary>
    [Parameter]
    [ValidateRange(1, RestoreOptions.MaxJobs)]
    public int Jobs { get; set; } = 1;

    /// <summary>With -Jobs, a table whose data in the archive is at least this many bytes loads over all the jobs' sessions at once (default 32 MB; 0 never), unless Auto builds every index of it after its data.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long SplitTableSize { get; set; } = RestoreOptions.DefaultSplitTableSize;

    /// <summary>Session settings for every restore connection, e.g. @{ synchronous_commit = 'off' }.</summary>
    [Parameter]
    public Hashtable? SessionSetting { get; set; }

    /// <summary>Do not stop at the first error: pg_restore goes on and every error is reported.</summary>
    [Parameter]
    public SwitchParameter ContinueOnError { get; set; }

    /// <summary>Journal file (default: one per target under PGPHASE_JOURNAL_DIR or the user's local application data).</summary>
    [Parameter]
    public string? JournalPath { get; set; }

    /// <summary>The pg_restore to use, a file or a bin folder (default: one new enough for the archive).</summary>
    [Parameter]
    public string? PgRestorePath { get; set; }

    /// <summary>Stop the sessions a killed earlier run left working on the target, instead of waiting for them to end.</summary>
    [Parameter]
    public SwitchParameter StopStaleSessions { get; set; }

    /// <summary>Go on through a transaction-mode pooler (PgBouncer and the like), without the one-restore-at-a-time lock.</summary>
    [Parameter]
    public SwitchParameter AllowPooler { get; set; }

    /// <summary>The target with its credential, and -TargetDatabase or else <paramref name="defaultDatabase"/> when the string names none.</summary>
    protected PgConnectionInfo ResolveTarget(string? defaultDatabase = null)
    {
        var target = Connections.From(TargetConnection, TargetCredential);
        var name = TargetDatabase ?? target.Database ?? defaultDatabase;
        return string.IsNullOrEmpty(name) || name == target.Database ? target : target.WithDatabase(name);
    }

    /// <summary>The restore settings of this command; the few that only Invoke-PgPhaseRestore has come as arguments.</summary>
    protected RestoreOptions BuildRestoreOptions(PgConnectionInfo target, IReadOnlyCollection<int>? phases = null,
        bool allowNonEmptyTarget = false, bool resume = false, bool force = false) => new()
    {
        Target = target,
        Phases = phases ?? [],
        CreateDatabase = CreateDatabase.IsPresent,
        AllowNonEmptyTarget = allowNonEmptyTarget,
        Resume = resume,
        Force = force,
        NoOwner = NoOwner.IsPresent,
        NoPrivileges = SkipPrivileges.IsPresent,
        Role = Role,
        Jobs = Jobs,
        SplitTableSize = SplitTableSize,
        SessionSettings = SessionSettings.From(SessionSetting),
        StopOnError = !ContinueOnError.IsPresent,
        JournalPath = JournalPath is null ? null : ResolveLocation(JournalPath),
        PgRestorePath = PgRestorePath,
        Storage = S3,
        StopStaleSessions = StopStaleSessions.IsPresent,
        AllowPooler = AllowPooler.IsPresent,
    };

    /// <summary>Overall progress over the four phases, as one percentage.</summary>
    protected static int OverallPercent(RestoreProgress p) => Math.Min(100, (p.Phase - 1) * 25 + p.PercentComplete / 4);
}
