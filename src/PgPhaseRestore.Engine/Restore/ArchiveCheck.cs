using Amazon.S3;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Before anything touches the target: the archive compared with its manifest (a size that differs means a
/// damaged or replaced backup) and, for an archive in a bucket, the feed that streams it into pg_restore.
/// </summary>
internal static class ArchiveCheck
{
    public static async Task<BucketArchiveFeed?> RunAsync(DumpArchive archive, IAmazonS3? client, S3Settings storage, bool skipChecks,
        Action<string>? log, CancellationToken ct)
    {
        var manifest = skipChecks ? null : await ManifestStore.TryLoadAsync(archive.Source, client, ct).ConfigureAwait(false);
        if (manifest is not null)
        {
            long size = client is not null ? await BucketProbe.SizeAsync(client, S3ObjectLocation.Parse(archive.Source), ct).ConfigureAwait(false)
                : LocalPaths.Size(archive.Source);
            if (size != manifest.Size)
                throw new RestoreException($"{archive.Source} is {size} bytes but its manifest says {manifest.Size}: the backup was damaged or replaced after it was made", PgPhaseErrorKind.DamagedArchive);
            log?.Invoke($"{archive.Source}: backup of \"{manifest.Database}\" from {manifest.Server} made {manifest.CompletedAt:u}, {SizeText.Format(manifest.Size)} as its manifest says");
        }
        if (client is null)
            return null;
        // A long data stream rides out at least ten reconnections (about two and a half minutes of backoff).
        return new BucketArchiveFeed(client, S3ObjectLocation.Parse(archive.Source), archive, manifest, Math.Max(storage.MaxRetries, 10), log);
    }
}
