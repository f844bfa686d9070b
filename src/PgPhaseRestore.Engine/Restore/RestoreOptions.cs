using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>Where and how to run the phases of a plan.</summary>
public sealed partial record RestoreOptions
{
    /// <summary>The target database (its dbname names the database to restore into).</summary>
    public required PgConnectionInfo Target { get; init; }

    /// <summary>Phases to run (empty: all four), always in phase order.</summary>
    public IReadOnlyCollection<int> Phases { get; init; } = [];

    /// <summary>Create the target database when it does not exist (needs only CREATEDB).</summary>
    public bool CreateDatabase { get; init; }

    /// <summary>Run phase 1 into a database that already holds objects.</summary>
    public bool AllowNonEmptyTarget { get; init; }

    /// <summary>Continue an interrupted restore from its first unfinished step (per the journal).</summary>
    public bool Resume { get; init; }

    /// <summary>Run phases again that the journal says completed.</summary>
    public bool Force { get; init; }

    /// <summary>Do not restore object ownership: objects belong to the restoring role (needed without superuser).</summary>
    public bool NoOwner { get; init; }

    /// <summary>Leave out grants and default privileges.</summary>
    public bool NoPrivileges { get; init; }

    /// <summary>SET ROLE to this role after connecting (pg_restore --role).</summary>
    public string? Role { get; init; }

    /// <summary>
    /// Parallel jobs for the data phase: local custom or directory archives, and objects in a bucket whose manifest
    /// maps their data blocks (others stream through one pg_restore).
    /// </summary>
    public int Jobs { get; init; } = 1;

    /// <summary>The most jobs a host offers: past that, sessions only contend for the target.</summary>
    public const int MaxJobs = 64;

    /// <summary>
    /// With parallel jobs, a table whose data in the archive is at least this many bytes (as stored, compressed)
    /// loads over all the jobs' sessions at once instead of one; 0 never splits. A table whose every index Auto builds
    /// after its data loads in one session: nothing is maintained while it loads.
    /// </summary>
    public long SplitTableSize { get; init; } = DefaultSplitTableSize;

    /// <summary>32 MiB: below that, one session loads a table about as fast as the split's overhead costs.</summary>
    public const long DefaultSplitTableSize = 32L * 1024 * 1024;

    /// <summary>Session settings for every pg_restore connection (passed through PGOPTIONS), e.g. synchronous_commit=off.</summary>
    public IReadOnlyDictionary<string, string> SessionSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>Stop at the first error (default). Otherwise pg_restore goes on and the errors are reported.</summary>
    public bool StopOnError { get; init; } = true;

    /// <summary>Journal file; default: one per target under PGPHASE_JOURNAL_DIR or the user's local application data.</summary>
    public string? JournalPath { get; init; }

    /// <summary>Explicit pg_restore (file or bin folder); default: the newest on PATH or in /usr/lib/postgresql.</summary>
    public string? PgRestorePath { get; init; }

    /// <summary>How to reach an archive in a bucket, as the host resolved it; default: the AWS SDK's own defaults.</summary>
    public S3Settings Storage { get; init; } = new();

    /// <summary>Skip the up-front checks of the archive: its size against its manifest, and whether a local archive holds the data restored.</summary>
    public bool SkipChecks { get; init; }

    /// <summary>
    /// Stop the sessions an earlier, killed run left working on the target (its pg_restore workers) instead of
    /// waiting for them to end.
    /// </summary>
    public bool StopStaleSessions { get; init; }

    /// <summary>How long to wait for an earlier run's sessions to end before refusing.</summary>
    public TimeSpan StaleSessionWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Go on through a transaction-mode pooler, where the restore lock cannot hold: nothing then stops a second
    /// restore into the same database.
    /// </summary>
    public bool AllowPooler { get; init; }

    /// <summary>How often the restore lock's session is checked while the restore runs.</summary>
    public TimeSpan LockCheckInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Keep the list files here (default: a temp folder removed afterwards).</summary>
    public string? ListDirectory { get; init; }
}
