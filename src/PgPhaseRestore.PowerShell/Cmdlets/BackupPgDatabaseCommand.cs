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
/// <example>
/// <code>Backup-PgDatabase -SourceConnection 'host=db.example.com dbname=app' -SourceCredential $cred -Path 's3://backups/app/2026-11-21.dump' -Region eu-west-1</code>
/// <para>Streams pg_dump's output into a multipart upload; the manifest is written once the object is verified.</para>
/// </example>
/// <example>
/// <code>Backup-PgDatabase -SourceConnection 'host=db.example.com dbname=app' -SourceCredential $cred -Path ./backups/app -Format Directory -DumpJobs 4</code>
/// <para>A directory-format backup dumped with four parallel jobs.</para>
/// </example>
/// <example>
/// <code>Get-PgDatabase -ServerConnection 'host=db.example.com' -ServerCredential $cred | Backup-PgDatabase -Path 's3://backups/nightly/' -SourceCredential $cred -S3Endpoint 'https://minio.example.com' -S3ForcePathStyle -AccessKey $accessKey -SecretKey $secretKey</code>
/// <para>Every database to an S3-compatible server: s3://backups/nightly/DATABASE/UTC-TIME.dump. $secretKey is a SecureString (Read-Host -AsSecureString, or a secret vault).</para>
/// </example>
[Cmdlet(VerbsData.Backup, "PgDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(BackupManifest))]
public sealed class BackupPgDatabaseCommand : PgBackupCmdletBase
{
    /// <summary>Replace an existing complete backup at the destination; never one that another run is still writing.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>
    /// Backs up the database of the pipeline object or of -SourceConnection; a failed database is reported and the
    /// next one goes on.
    /// </summary>
    protected override void ProcessRecord()
    {
        BackupOptions options;
        try
        {
            options = BuildBackupOptions(Force.IsPresent);
        }
        catch (Exception ex) when (ex is ArgumentException or PgPhaseException)
        {
            WriteError(ErrorRecords.FromInput(ex, Connections.Shown(SourceConnection)));
            return;
        }
        var database = options.Source.Database ?? "(no database)";
        var action = Force.IsPresent ? "Back up, replacing any existing backup" : "Back up";
        if (!HighImpact.Ask(this, options.Source.ToString(), () => ShouldProcess($"database {options.Source} to {options.Destination}", action)))
            return;

        var progress = new CallbackProgress<BackupProgress>(p => OnProgress(BackupProgressRecord(p)));
        try
        {
            var manifest = RunEngine(ct => new BackupRunner(options, progress, VerboseFromEngine, DebugFromEngine).RunAsync(ct));
            WriteObject(manifest);
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            WriteError(ErrorRecords.From(ex, database));
        }
        finally
        {
            WriteProgress(new ProgressRecord(1, $"Backing up {database}", "done") { RecordType = ProgressRecordType.Completed });
        }
    }
}
