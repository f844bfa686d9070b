using System.Management.Automation;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Backs up one database per input with pg_dump, to a file, a folder or straight into an S3 object, and
/// writes its manifest last. Databases from Get-PgDatabase bind by property name; a failure is reported for
/// that database and the pipeline goes on with the next.
/// </summary>
[Cmdlet(VerbsData.Backup, "PgDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(BackupManifest))]
public sealed class BackupPgDatabaseCommand : PgBackupCmdletBase
{
    /// <summary>Replace an existing backup at the destination.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        BackupOptions options;
        try
        {
            options = BuildBackupOptions(Force.IsPresent);
        }
        catch (ArgumentException ex)
        {
            WriteError(ErrorRecords.From(ex, Source));
            return;
        }
        var database = options.Source.Database ?? "(no database)";
        var action = Force.IsPresent ? "Back up, replacing any existing backup" : "Back up";
        if (!ShouldProcess($"database {options.Source} to {options.Destination}", action))
            return;

        var progress = new CallbackProgress<BackupProgress>(p => OnPipeline(() => WriteProgress(BackupProgressRecord(p))));
        try
        {
            var manifest = RunEngine(ct => new BackupRunner(options, progress, m => OnPipeline(() => WriteVerbose(m)), m => OnPipeline(() => WriteDebug(m))).RunAsync(ct));
            WriteObject(manifest);
        }
        catch (Exception ex) when (ErrorRecords.IsPerDatabase(ex))
        {
            WriteError(ErrorRecords.From(ex, database));
        }
        finally
        {
            WriteProgress(new ProgressRecord(1, $"Backing up {database}", "done") { RecordType = ProgressRecordType.Completed });
        }
    }
}
