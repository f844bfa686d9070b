using System.Management.Automation;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Lists the complete backups (those with a manifest) under an s3:// prefix or a folder, newest first.
/// Each result's Location binds to Get-PgDumpToc, Split-PgRestorePhases and Invoke-PgPhaseRestore.
/// </summary>
/// <example>
/// <code>Get-PgBackup -Path 's3://backups/nightly/' -Latest</code>
/// <para>The newest complete backup of each database under the prefix.</para>
/// </example>
/// <example>
/// <code>Get-PgBackup -Path ./backups -Database app | Select-Object -First 1 | Split-PgRestorePhases | Invoke-PgPhaseRestore -TargetConnection 'host=staging.example.com dbname=app' -TargetCredential $cred -CreateDatabase -NoOwner</code>
/// <para>Restores the newest local backup of app in four phases.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PgBackup")]
[OutputType(typeof(BackupManifest))]
public sealed class GetPgBackupCommand : PgStorageCmdletBase
{
    /// <summary>An s3://bucket/prefix or a local folder; searched recursively for manifests.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Prefix", "Folder", "FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Only backups of this database.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    public string? Database { get; set; }

    /// <summary>Only the newest backup of each database.</summary>
    [Parameter]
    public SwitchParameter Latest { get; set; }

    /// <summary>Lists the complete backups under -Path.</summary>
    protected override void ProcessRecord()
    {
        var location = Locate(Path);
        try
        {
            var found = RunEngine(ct => BackupCatalog.ListAsync(location, Database, ct));
            var result = Latest.IsPresent ? found.GroupBy(b => b.Database).Select(g => g.First()) : found;
            foreach (var backup in result)
                WriteObject(backup);
        }
        catch (Exception ex) when (ErrorRecords.IsExpected(ex))
        {
            WriteError(ErrorRecords.From(ex, location));
        }
    }
}
