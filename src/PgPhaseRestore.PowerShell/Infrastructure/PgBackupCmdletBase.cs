using System.Management.Automation;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.PowerShell.Completers;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>The source, the archive's path, pg_dump's selection and the multipart settings of Backup-PgDatabase.</summary>
/// <remarks>
/// Copy-PgDatabase declares the same parameters (it derives from <see cref="PgRestoreCmdletBase"/>, and a class has one
/// base); <see cref="IBackupParameters"/> gives both one mapping, and a contract test keeps the declarations identical.
/// </remarks>
public abstract class PgBackupCmdletBase : PgStorageCmdletBase, IBackupParameters, IDumpSelectionParameters
{
    /// <summary>The source database as a libpq string or URI (PG* variables fill the rest). No password here: use -SourceCredential.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Source", "ConnectionString")]
    [ValidateNotNullOrEmpty]
    [ConnectionText]
    public string SourceConnection { get; set; } = "";

    /// <summary>The database to back up; overrides any dbname in -SourceConnection.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    // Not -Name: pgphase backup --name is the backup's name, and a database from Get-PgDatabase binds by its connection string.
    [Alias("DatabaseName")]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    public string? Database { get; set; }

    /// <summary>User name and password for the source.</summary>
    [Parameter]
    [Credential]
    [Alias("Credential")]
    public PSCredential? SourceCredential { get; set; }

    /// <summary>Where the archive goes: a file, a folder (directory format) or s3://bucket/key, taken literally (a destination that does not exist yet has nothing to match, so * ? [ ] are ordinary characters here). Ending in /, a prefix: &lt;prefix&gt;&lt;database&gt;/&lt;name&gt;.dump.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [Alias("Destination", "To")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Name of the backup under a prefix (default: the UTC time).</summary>
    [Parameter]
    public string? BackupName { get; set; }

    /// <summary>Custom (one file or object, the default) or Directory (a local folder, dumped with -DumpJobs).</summary>
    [Parameter]
    public BackupFormat Format { get; set; } = BackupFormat.Custom;

    /// <summary>Parallel pg_dump jobs (directory format).</summary>
    [Parameter]
    [ValidateRange(1, BackupOptions.MaxJobs)]
    public int DumpJobs { get; set; } = 1;

    /// <summary>pg_dump -Z: 0-9, or method[:detail] with pg_dump 16 or later.</summary>
    [Parameter]
    public string? Compression { get; set; }

    /// <summary>Back up only these schemas (pg_dump patterns).</summary>
    [Parameter]
    public string[] Schema { get; set; } = [];

    /// <summary>Leave out these schemas (pg_dump patterns).</summary>
    [Parameter]
    public string[] ExcludeSchema { get; set; } = [];

    /// <summary>Back up only these tables (pg_dump patterns).</summary>
    [Parameter]
    public string[] Table { get; set; } = [];

    /// <summary>Leave out these tables (pg_dump patterns).</summary>
    [Parameter]
    public string[] ExcludeTable { get; set; } = [];

    /// <summary>Tables whose definitions are backed up without their rows.</summary>
    [Parameter]
    public string[] ExcludeTableData { get; set; } = [];

    /// <summary>Fail rather than wait longer than this for a table lock.</summary>
    [Parameter]
    public TimeSpan? LockWaitTimeout { get; set; }

    /// <summary>Skip the up-front reachability checks.</summary>
    [Parameter]
    public SwitchParameter SkipChecks { get; set; }

    /// <summary>The pg_dump to use, a file or a bin folder (default: one at least as new as the server).</summary>
    [Parameter]
    public string? PgDumpPath { get; set; }

    /// <summary>First multipart part size (at least 5MB); parts double every tenth of -MaxParts.</summary>
    [Parameter]
    [ValidateRange(MultipartOptions.MinPartSize, MultipartOptions.S3MaxPartSize)]
    public long PartSize { get; set; } = MultipartOptions.DefaultInitialPartSize;

    /// <summary>Largest part: memory stays within -PartsInFlight x this.</summary>
    [Parameter]
    [ValidateRange(MultipartOptions.MinPartSize, MultipartOptions.S3MaxPartSize)]
    public long MaxPartSize { get; set; } = MultipartOptions.S3MaxPartSize;

    /// <summary>The server's part limit: 10000 on AWS, 1000 on Scaleway.</summary>
    [Parameter]
    [ValidateRange(1, MultipartOptions.S3MaxParts)]
    public int MaxParts { get; set; } = MultipartOptions.S3MaxParts;

    /// <summary>Parts held in memory and uploading at once.</summary>
    [Parameter]
    [ValidateRange(1, MultipartOptions.MaxPartsInFlight)]
    public int PartsInFlight { get; set; } = MultipartOptions.DefaultPartsInFlight;

    /// <summary>The backup settings of this command.</summary>
    private protected BackupOptions BuildBackupOptions(bool force) => BackupParameters.ToOptions(this, S3, ResolveLocation, force);

    /// <summary>Progress of a running backup as a progress record.</summary>
    private protected ProgressRecord BackupProgressRecord(BackupProgress p) => BackupParameters.ProgressRecord(p);
}
