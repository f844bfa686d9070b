using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>What to dump, where to, and how.</summary>
public sealed partial class BackupOptions
{
    /// <summary>The source database (its dbname names the database to dump).</summary>
    public required PgConnectionInfo Source { get; init; }

    /// <summary>
    /// A file, a folder (directory format) or s3://bucket/key. Ending in "/", it is a prefix under which the
    /// backup goes to &lt;database&gt;/&lt;name&gt;.dump, name being <see cref="BackupName"/> or the UTC time.
    /// </summary>
    public required string Destination { get; init; }

    /// <summary>The backup's name under a prefix (default: the UTC time); ignored for a full destination.</summary>
    public string? BackupName { get; init; }

    /// <summary>Custom (one file or object, the default) or directory (a local folder, parallel jobs).</summary>
    public BackupFormat Format { get; init; } = BackupFormat.Custom;

    /// <summary>pg_dump -Z: a level 0-9, or method[:detail] (gzip, lz4, zstd) with pg_dump 16 or later.</summary>
    public string? Compression { get; init; }

    /// <summary>Only these schemas (pg_dump -n patterns).</summary>
    public IReadOnlyList<string> Schemas { get; init; } = [];

    /// <summary>Leave these schemas out (pg_dump -N patterns).</summary>
    public IReadOnlyList<string> ExcludeSchemas { get; init; } = [];

    /// <summary>Only these tables (pg_dump -t patterns).</summary>
    public IReadOnlyList<string> Tables { get; init; } = [];

    /// <summary>Leave these tables out (pg_dump -T patterns).</summary>
    public IReadOnlyList<string> ExcludeTables { get; init; } = [];

    /// <summary>Tables whose definitions are dumped but not their rows.</summary>
    public IReadOnlyList<string> ExcludeTableData { get; init; } = [];

    /// <summary>Fail rather than wait longer than this for a table lock (pg_dump --lock-wait-timeout).</summary>
    public TimeSpan? LockWaitTimeout { get; init; }

    /// <summary>Parallel pg_dump jobs (directory format only).</summary>
    public int Jobs { get; init; } = 1;

    /// <summary>A backup this run wrote at <paramref name="path"/>, reached as the destination is: the one place a written backup becomes a location.</summary>
    internal ArchiveLocation At(string path) => new(path, Storage);

    /// <summary>The most pg_dump jobs a host offers: past that, sessions only contend for the source.</summary>
    public const int MaxJobs = 64;

    /// <summary>Replace an existing complete backup at the destination (never one that another live run is writing).</summary>
    public bool Force { get; init; }

    /// <summary>Timing of the lock that keeps a destination to one writer at a time.</summary>
    internal BackupLockTiming Lock { get; init; } = new();

    /// <summary>Skip the up-front reachability checks of the source and the bucket.</summary>
    public bool SkipChecks { get; init; }

    /// <summary>Explicit pg_dump (file or bin folder); default: one at least as new as the server.</summary>
    public string? PgDumpPath { get; init; }

    /// <summary>How to reach the bucket of an s3:// destination, as the host resolved it; default: the AWS SDK's own defaults.</summary>
    public S3Settings Storage { get; init; } = new();

    /// <summary>How an upload to a bucket is cut into parts.</summary>
    public MultipartOptions Multipart { get; init; } = new();
}
