using Amazon.S3;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>
/// Where a backup is written, one kind of storage each: a local file or folder (<see cref="LocalBackupStore"/>) or
/// an object in a bucket (<see cref="BucketBackupStore"/>). The runner takes the lock, dumps into the store and writes
/// the manifest; the store knows how its storage is checked, locked, cleaned of earlier runs and written.
/// </summary>
internal interface IBackupStore : IDisposable
{
    /// <summary>The bucket's client, for the manifest beside the object; null for a local backup.</summary>
    IAmazonS3? Client { get; }

    /// <summary>Makes the location ready (the bucket reachable, the folder there) and names the lock beside it.</summary>
    Task<ILockStore> PrepareAsync(CancellationToken ct);

    /// <summary>Under the lock: removes what earlier runs that are gone left behind.</summary>
    Task CleanUpAsync(BackupLockHolder? takenOver, CancellationToken ct);

    /// <summary>What already stands at the location (the backup or its manifest), in words; null when it is free.</summary>
    Task<string?> DescribeExistingAsync(CancellationToken ct);

    /// <summary>
    /// Runs pg_dump into the storage and makes the result visible, checking the lock first; a failure leaves nothing
    /// visible. <paramref name="beforePublish"/> runs once the dump is complete, just before it takes the location.
    /// <paramref name="ct"/> stops the dump; once it is complete and the lock checked, only <paramref name="publishing"/>
    /// stops what follows, so that a stop never lands between taking the old backup's place and the new one's manifest.
    /// </summary>
    Task<StoredArchive> DumpAsync(BackupDump dump, BackupLock held, Func<CancellationToken, Task> beforePublish, CancellationToken ct, CancellationToken publishing);
}
