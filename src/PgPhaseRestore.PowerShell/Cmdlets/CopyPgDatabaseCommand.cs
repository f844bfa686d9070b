using System.Collections;
using System.Management.Automation;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Copy;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Copies a database in one command: a backup to -Destination (kept, with its manifest), then the
/// four-phase restore of that backup into -Target.
/// </summary>
/// <example>
/// <code>Copy-PgDatabase -Source 'host=prod.example.com dbname=app' -Credential $src -Destination 's3://backups/moves/' -Target 'host=new.example.com' -TargetDatabase app -TargetCredential $dst -CreateDatabase -NoOwner</code>
/// <para>Backs app up into the bucket, then restores that backup in four phases on the new server.</para>
/// </example>
[Cmdlet(VerbsCommon.Copy, "PgDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CopyResult))]
public sealed class CopyPgDatabaseCommand : PgBackupCmdletBase
{
    /// <summary>The target server or database as a libpq string or URI.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Target { get; set; } = "";

    /// <summary>Name of the new database (default: the dbname in -Target, then the source database's name).</summary>
    [Parameter]
    public string? TargetDatabase { get; set; }

    /// <summary>User name and password for the target server.</summary>
    [Parameter]
    [Credential]
    public PSCredential? TargetCredential { get; set; }

    /// <summary>Create the target database when it does not exist (needs only CREATEDB).</summary>
    [Parameter]
    public SwitchParameter CreateDatabase { get; set; }

    /// <summary>Do not restore object ownership: objects belong to the restoring user (needed without superuser).</summary>
    [Parameter]
    public SwitchParameter NoOwner { get; set; }

    /// <summary>Leave out grants and default privileges.</summary>
    [Parameter]
    public SwitchParameter SkipPrivileges { get; set; }

    /// <summary>PreCreate (default: indexes exist before the data arrives) or Standard (pg_restore's order).</summary>
    [Parameter]
    public RestoreStrategy Strategy { get; set; } = RestoreStrategy.PreCreate;

    /// <summary>Parallel jobs for the data phase (local archives only; a bucket streams through one pg_restore).</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int Jobs { get; set; } = 1;

    /// <summary>Session settings for every restore connection, e.g. @{ synchronous_commit = 'off' }.</summary>
    [Parameter]
    public Hashtable? SessionSetting { get; set; }

    /// <summary>Replace an existing complete backup at the destination; never one that another run is still writing.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Go on through a transaction-mode pooler (PgBouncer and the like), without the one-restore-at-a-time lock.</summary>
    [Parameter]
    public SwitchParameter AllowPooler { get; set; }

    protected override void ProcessRecord()
    {
        BackupOptions backup;
        RestoreOptions restore;
        try
        {
            backup = BuildBackupOptions(Force.IsPresent);
            var target = Connections.From(Target, TargetCredential);
            var name = TargetDatabase ?? target.Database ?? backup.Source.Database;
            target = target.WithDatabase(name!);
            restore = new RestoreOptions
            {
                Target = target,
                CreateDatabase = CreateDatabase.IsPresent,
                NoOwner = NoOwner.IsPresent,
                NoPrivileges = SkipPrivileges.IsPresent,
                Jobs = Jobs,
                SessionSettings = SessionSettings.From(SessionSetting),
                Storage = backup.Storage,
                AllowPooler = AllowPooler.IsPresent,
            };
        }
        catch (ArgumentException ex)
        {
            WriteError(ErrorRecords.From(ex, Source));
            return;
        }
        if (!ShouldProcess($"database {restore.Target}", $"Copy {backup.Source} through {backup.Destination}"))
            return;

        var plan = new PlanOptions { Strategy = Strategy, SkipPrivileges = SkipPrivileges.IsPresent };
        var backupProgress = new CallbackProgress<BackupProgress>(p => OnPipeline(() => WriteProgress(BackupProgressRecord(p))));
        var restoreProgress = new CallbackProgress<RestoreProgress>(p => OnPipeline(() => WriteProgress(
            new ProgressRecord(2, $"Restoring into {restore.Target}", $"phase {p.Phase} of 4: {p.PhaseName}")
            {
                PercentComplete = Math.Min(100, (p.Phase - 1) * 25 + p.PercentComplete / 4),
                CurrentOperation = p.Activity,
            })));
        try
        {
            var result = RunEngine(ct => DatabaseCopy.RunAsync(backup, plan, restore, backupProgress, restoreProgress,
                m => OnPipeline(() => WriteVerbose(m)), m => OnPipeline(() => WriteDebug(m)), ct));
            WriteObject(result);
            foreach (var phase in result.Phases)
                foreach (var error in phase.Errors)
                    WriteError(new ErrorRecord(new RestoreException(error.ToString()), "PgPhaseRestore.PhaseFailed", ErrorCategory.WriteError, phase));
        }
        catch (Exception ex) when (ErrorRecords.IsPerDatabase(ex))
        {
            WriteError(ErrorRecords.From(ex, backup.Source.Database));
        }
        finally
        {
            WriteProgress(new ProgressRecord(1, "Backing up", "done") { RecordType = ProgressRecordType.Completed });
            WriteProgress(new ProgressRecord(2, "Restoring", "done") { RecordType = ProgressRecordType.Completed });
        }
    }
}
