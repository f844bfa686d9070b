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

    [Parameter]
    [Credential]
    public PSCredential? TargetCredential { get; set; }

    [Parameter]
    public SwitchParameter CreateDatabase { get; set; }

    [Parameter]
    public SwitchParameter NoOwner { get; set; }

    [Parameter]
    public SwitchParameter SkipPrivileges { get; set; }

    [Parameter]
    public RestoreStrategy Strategy { get; set; } = RestoreStrategy.PreCreate;

    [Parameter]
    [ValidateRange(1, 64)]
    public int Jobs { get; set; } = 1;

    [Parameter]
    public Hashtable? SessionSetting { get; set; }

    /// <summary>Replace an existing backup at the destination.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

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
                SessionSettings = SessionSetting?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "") ?? new Dictionary<string, string>(),
                Storage = backup.Storage,
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
