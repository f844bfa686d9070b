using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Backup;

public sealed partial class BackupOptions
{
    /// <summary>Refuses options that could only fail later, after pg_dump has started or an upload has begun.</summary>
    public void Validate()
    {
        if (Jobs < 1)
            throw new PgPhaseException($"dump jobs must be 1 or more, not {Jobs}", PgPhaseErrorCode.InvalidInput);
        if (LockWaitTimeout is { } wait && wait < TimeSpan.Zero)
            throw new PgPhaseException($"lock wait timeout cannot be negative ({wait.TotalSeconds} s)", PgPhaseErrorCode.InvalidInput);
        CheckDestination(Destination);
        BackupNaming.CheckName(BackupName);
    }

    /// <summary>
    /// A bucket destination names its bucket: "s3://" or "s3:///key" would otherwise become a key under a
    /// bucket named after the database, or an SDK error that does not say which value was wrong.
    /// </summary>
    public static void CheckDestination(string destination)
    {
        if (string.IsNullOrWhiteSpace(destination))
            throw new PgPhaseException("a backup destination is required: a file, a folder, or s3://bucket/key (ending in / for one key per database)", PgPhaseErrorCode.InvalidInput);
        if (!S3ObjectLocation.IsS3Uri(destination))
            return;
        var (bucket, key) = S3ObjectLocation.ParsePrefix(destination);
        if (key.Length == 0 && !destination.EndsWith('/'))
            throw new PgPhaseException($"{destination}: names a bucket but no key; give s3://{bucket}/name.dump, or s3://{bucket}/ for one key per database", PgPhaseErrorCode.InvalidInput);
    }
}
