using System.Management.Automation;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Copy;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.PowerShell.Completers;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Copies a database in one command, through a backup that is kept. The source is backed up to -Path (the backup
/// stays there, with its manifest), then that backup is restored in four phases into -TargetConnection. The restore
/// takes every setting Invoke-PgPhaseRestore takes; the backup every setting of Backup-PgDatabase.
/// </summary>
/// <example>
/// <code>Copy-PgDatabase -SourceConnection 'host=prod.example.com dbname=app' -SourceCredential $src -Path 's3://backups/moves/' -TargetConnection 'host=new.example.com' -TargetDatabase app -TargetCredential $dst -CreateDatabase -NoOwner</code>
/// <para>Backs app up into the bucket, then restores that backup in four phases on the new server.</para>
/// </example>
/// <example>
/// <code>Get-PgDatabase -ServerConnection 'host=prod.example.com' -ServerCredential $src -Name 'shop_*' | Copy-PgDatabase -Path ./moves/ -SourceCredential $src -TargetConnection 'host=new.example.com' -TargetCredential $dst -CreateDatabase -NoOwner -Strategy Auto -MemoryBudget 1GB -Jobs 2</code>
/// <para>Every shop database to the new server under its own name, each index built early or late as the backup's manifest sizes allow.</para>
/// </example>
/// <example>
/// <code>Copy-PgDatabase -SourceConnection 'host=prod.example.com dbname=app' -SourceCredential $src -Path ./moves/ -TargetConnection 'host=dev.example.com dbname=app_products' -TargetCredential $dst -CreateDatabase -NoOwner -IncludeTable shop.products</code>
/// <para>Only shop.products, with its rows, indexes, constraints and owned sequences, and the schema shop it lives in; the backup holds the rows of no other table.</para>
/// </example>
[Cmdlet(VerbsCommon.Copy, "PgDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CopyResult))]
public sealed class CopyPgDatabaseCommand : PgRestoreCmdletBase, IBackupParameters
{
    // The backup side repeats PgBackupCmdletBase's declarations (this class already has its one base, the restore
    // side); a contract test holds them identical but for the aliases that name no endpoint (-Credential,
    // -ConnectionString), which a cmdlet with two endpoints does not take.

    /// <inheritdoc cref="PgBackupCmdletBase.SourceConnection"/>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Source")]
    [ValidateNotNullOrEmpty]
    [ConnectionText]
    public string SourceConnection { get; set; } = "";

    /// <inheritdoc cref="PgBackupCmdletBase.Database"/>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    // Not -Name: pgphase backup --name is the backup's name, and a database from Get-PgDatabase binds by its connection string.
    [Alias("DatabaseName")]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    public string? Database { get; set; }

    /// <inheritdoc cref="PgBackupCmdletBase.SourceCredential"/>
    [Parameter]
    [Credential]
    public PSCredential? SourceCredential { get; set; }

    /// <summary>User name and password for the target.</summary>
    [Parameter]
    [Credential]
    public override PSCredential? TargetCredential { get; set; }

    /// <inheritdoc cref="PgBackupCmdletBase.Path"/>
    [Parameter(Mandatory = true, Position = 1)]
    [Alias("Destination", "To")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <inheritdoc cref="PgBackupCmdletBase.BackupName"/>
    [Parameter]
    public string? BackupName { get; set; }

    /// <inheritdoc cref="PgBackupCmdletBase.Format"/>
    [Parameter]
    public BackupFormat Format { get; set; } = BackupFormat.Custom;

    /// <inheritdoc cref="PgBackupCmdletBase.DumpJobs"/>
    [Parameter]
    [ValidateRange(1, BackupOptions.MaxJobs)]
    public int DumpJobs { get; set; } = 1;

    /// <inheritdoc cref="PgBackupCmdletBase.Compression"/>
    [Parameter]
    public string? Compression { get; set; }

    /// <inheritdoc cref="PgBackupCmdletBase.ExcludeTableData"/>
    [Parameter]
    public string[] ExcludeTableData { get; set; } = [];

    /// <inheritdoc cref="PgBackupCmdletBase.LockWaitTimeout"/>
    [Parameter]
    public TimeSpan? LockWaitTimeout { get; set; }

    /// <inheritdoc cref="PgBackupCmdletBase.SkipChecks"/>
    [Parameter]
    public SwitchParameter SkipChecks { get; set; }

    /// <inheritdoc cref="PgBackupCmdletBase.PgDumpPath"/>
    [Parameter]
    public string? PgDumpPath { get; set; }

    /// <inheritdoc cref="PgBackupCmdletBase.PartSize"/>
    [Parameter]
    [ValidateRange(MultipartOptions.MinPartSize, MultipartOptions.S3MaxPartSize)]
    public long PartSize { get; set; } = MultipartOptions.DefaultInitialPartSize;

    /// <inheritdoc cref="PgBackupCmdletBase.MaxPartSize"/>
    [Parameter]
    [ValidateRange(MultipartOptions.MinPartSize, MultipartOptions.S3MaxPartSize)]
    public long MaxPartSize { get; set; } = MultipartOptions.S3MaxPartSize;

    /// <inheritdoc cref="PgBackupCmdletBase.MaxParts"/>
    [Parameter]
    [ValidateRange(1, MultipartOptions.S3MaxParts)]
    public int MaxParts { get; set; } = MultipartOptions.S3MaxParts;

    /// <inheritdoc cref="PgBackupCmdletBase.PartsInFlight"/>
    [Parameter]
    [ValidateRange(1, MultipartOptions.MaxPartsInFlight)]
    public int PartsInFlight { get; set; } = MultipartOptions.DefaultPartsInFlight;

    /// <summary>Replace an existing complete backup at -Path; never one that another run is still writing.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Backs up the source, then restores that backup into the target in four phases.</summary>
    protected override void ProcessRecord()
    {
        BackupOptions backup;
        RestoreOptions restore;
        try
        {
            backup = BackupParameters.ToOptions(this, S3, ResolveLocation, Force.IsPresent);
            // The copy keeps the source database's name unless -TargetDatabase or the target string names another.
            restore = BuildRestoreOptions(ResolveTarget(backup.Source.Database));
        }
        catch (Exception ex) when (ex is ArgumentException or PgPhaseException)
        {
            WriteError(ErrorRecords.FromInput(ex, Connections.Shown(SourceConnection)));
            return;
        }
        if (!HighImpact.Ask(this, restore.Target.ToString(), () => ShouldProcess($"database {restore.Target}", $"Copy {backup.Source} through {backup.Destination}")))
            return;

        var backupProgress = new CallbackProgress<BackupProgress>(p => OnProgress(BackupParameters.ProgressRecord(p)));
        var restoreProgress = new CallbackProgress<RestoreProgress>(p => OnProgress(
            new ProgressRecord(2, $"Restoring into {restore.Target}", $"phase {p.Phase} of 4: {p.PhaseName}")
            {
                PercentComplete = OverallPercent(p),
                CurrentOperation = p.Activity,
            }));
        try
        {
            var result = RunEngine(ct => DatabaseCopy.RunAsync(backup, BuildPlanOptions(), restore, backupProgress, restoreProgress,
                VerboseFromEngine, DebugFromEngine, ct));
            WriteObject(result);
            // The backup is kept: the restore goes on from it, not from the source again.
            var action = ContinueOnError.IsPresent ? ErrorRecords.PhaseAction(continueOnError: true) : ErrorRecords.CopyPhaseAction(result.Location, result.Target);
            foreach (var phase in result.Phases)
                foreach (var error in phase.Errors)
                    WriteError(ErrorRecords.From(error, phase, action));
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
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
