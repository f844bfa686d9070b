using System.Management.Automation;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Servers;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Lists the complete backups (those with a manifest) in an s3:// folder or a local folder, newest first.
/// Each result's Location binds to Get-PgDumpToc, Split-PgRestorePhases and Invoke-PgPhaseRestore. A manifest
/// that is unreadable, is not a backup's, or whose archive is gone is reported as an error and not listed.
/// </summary>
/// <example>
/// <code>Get-PgBackup -Path 's3://backups/nightly/' -Latest</code>
/// <para>The newest complete backup of each database under the prefix.</para>
/// </example>
/// <example>
/// <code>Get-PgBackup -Path ./backups -Database app | Select-Object -First 1 | Split-PgRestorePhases | Invoke-PgPhaseRestore -TargetConnection 'host=staging.example.com dbname=app' -TargetCredential $cred -CreateDatabase -NoOwner</code>
/// <para>Restores the newest local backup of app in four phases.</para>
/// </example>
/// <example>
/// <code>Get-PgBackup -Path ./backups -Database 'app_*' -Latest</code>
/// <para>The newest backup of each database whose name starts with app_ (-Database takes wildcards; so does -Path, for folders).</para>
/// </example>
// LiteralPath by default: an object on the pipeline (a file from Get-Item, a backup from Get-PgBackup) binds its path
// by property name there before PowerShell would turn it into text for -Path; a string still binds to -Path.
[Cmdlet(VerbsCommon.Get, "PgBackup", DefaultParameterSetName = LiteralPathSet)]
[OutputType(typeof(BackupManifest))]
public sealed class GetPgBackupCommand : PgStorageCmdletBase
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    /// <summary>An s3://bucket/folder (no wildcards; s3://bucket/app and s3://bucket/app/ are the same folder, which never holds app_j's backups) or a local folder (wildcards allowed: each match is searched); searched recursively for manifests.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("Prefix", "Folder")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>A local folder or s3://bucket/prefix taken exactly as written: no character is a wildcard. A backup's own archive (or its manifest) lists that one backup. Files and folders from Get-Item or Get-ChildItem, and backups from Get-PgBackup, bind here.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP", "FullName", "Location")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>Only backups of this database; * and ? are wildcards (app_*), brackets are characters of the name, as for Get-PgDatabase. A name without wildcards that matches no backup is an ObjectNotFound error.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    public string? Database { get; set; }

    /// <summary>Only the newest backup of each database.</summary>
    [Parameter]
    public SwitchParameter Latest { get; set; }

    /// <summary>Notes whether -Database came from the command line or comes with each piped object.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        // Only what the command line gave is bound yet: the rest comes from each object on the pipeline.
        _databaseGiven = MyInvocation.BoundParameters.ContainsKey(nameof(Database));
    }

    private bool _databaseGiven;

    /// <summary>
    /// Lists the complete backups under -Path (under each folder it names). A manifest that marks no complete backup
    /// (unreadable, not a manifest, or without its archive) is a non-terminating error naming it, and the others are
    /// listed; a -Database without wildcards that matches no backup is one too.
    /// </summary>
    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName == LiteralPathSet;
        var path = literal ? LiteralPath : Path;
        // A file or folder piped in (Get-Item, Get-ChildItem) binds its Name to -Database too, by the alias that
        // takes Get-PgDatabase's names: its own name is no database to filter by.
        if (!_databaseGiven && literal && Database is not null && MyInvocation.ExpectingInput &&
            Database == System.IO.Path.GetFileName(LiteralPath.TrimEnd('/', System.IO.Path.DirectorySeparatorChar)))
            Database = null;
        // A pattern is matched here, as Get-PgDatabase matches names (* and ?; brackets are characters of a name,
        // "x[1]" among them); a plain name lets the engine look for it alone.
        var pattern = Database is not null && DatabaseFilter.IsPattern(Database) ? Database : null;
        bool listed = false, failed = false;
        foreach (var location in LocateArchives(path, literal))
        {
            try
            {
                var found = RunEngine(ct => BackupCatalog.ListAsync(location, pattern is null ? Database : null,
                        (manifest, why) => OnPipeline(() => WriteError(ErrorRecords.From(why, manifest))), ct))
                    .Where(b => pattern is null || DatabaseFilter.IsMatch(pattern, b.Database));
                var result = Latest.IsPresent ? found.GroupBy(b => b.Database).Select(g => g.First()) : found;
                foreach (var backup in result)
                {
                    listed = true;
                    WriteObject(backup);
                }
            }
            catch (Exception ex) when (ErrorRecords.IsReported(ex))
            {
                failed = true;
                WriteError(ErrorRecords.From(ex, location));
            }
        }
        // Databases piped in (Get-PgDatabase | Get-PgBackup) are looked up for whichever have backups: one without is no error.
        if (!listed && !failed && !string.IsNullOrEmpty(Database) && pattern is null && !MyInvocation.ExpectingInput)
            WriteError(ErrorRecords.NotFound($"No backup of database \"{Database}\" under {path}.", Database,
                "Check -Database (a name without wildcards is matched exactly, case included) and -Path (or -LiteralPath)."));
    }
}
