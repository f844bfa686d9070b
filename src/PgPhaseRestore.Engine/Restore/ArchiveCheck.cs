using Amazon.S3;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Restore.DataLoad;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Before anything touches the target: the archive compared with its manifest (a size that differs means a
/// damaged or replaced backup), the data a local archive holds for the entries restored (a cut custom archive, a
/// cut tar member, a missing or cut data file of a directory is refused by entry and offset or file before the
/// schema is created, not when the data phase reaches it) and, for an archive in a bucket, the feed that streams
/// it into pg_restore.
/// </summary>
internal static class ArchiveCheck
{
    /// <param name="archive">The archive restored.</param>
    /// <param name="entries">The entries restored: the data checked is theirs.</param>
    /// <param name="client">The bucket's client for an archive in a bucket, else null.</param>
    /// <param name="storage">The bucket's settings.</param>
    /// <param name="skipChecks">Neither the manifest nor the archive's data is checked.</param>
    /// <param name="log">One line per check.</param>
    /// <param name="ct">Stops the checks.</param>
    public static async Task<BucketArchiveFeed?> RunAsync(DumpArchive archive, IEnumerable<TocEntry> entries, IAmazonS3? client, S3Settings storage,
        bool skipChecks, Action<string>? log, CancellationToken ct)
    {
        // Damage the plan's scan found in a table this restore loads: refused before anything is created.
        if (!skipChecks && archive.Damage is { } damage && entries.Any(e => e.DumpId == damage.Entry.DumpId))
            throw new PgPhaseException($"{damage.Problem}; nothing was created", PgPhaseErrorCode.DamagedArchive);
        var manifest = skipChecks ? null : await ManifestStore.TryLoadAsync(archive.Source, client, ct).ConfigureAwait(false);
        if (manifest is not null)
        {
            long size = client is not null ? await BucketProbe.SizeAsync(client, S3ObjectLocation.Parse(archive.Source), ct).ConfigureAwait(false)
                : LocalPaths.Size(archive.Source);
            if (size != manifest.Size)
            {
                var which = client is null && Directory.Exists(archive.Source) ? DirectoryDataCheck.ManifestMismatch(archive.Source, manifest) : null;
                throw new PgPhaseException($"{archive.Source} is {size} bytes but its manifest says {manifest.Size}{(which is null ? "" : $" ({which})")}: the backup was damaged or replaced after it was made", PgPhaseErrorCode.DamagedArchive);
            }
            if (client is null)
                await CheckLocalDigestAsync(archive.Source, manifest, log, ct).ConfigureAwait(false);
            log?.Invoke($"{archive.Source}: backup of \"{manifest.Database}\" from {manifest.Server} made {manifest.CompletedAt:u}, {SizeText.Format(manifest.Size)} as its manifest says");
        }
        if (client is null)
        {
            if (!skipChecks)
                await CheckLocalDataAsync(archive, entries, log, ct).ConfigureAwait(false);
            return null;
        }
        var location = S3ObjectLocation.Parse(archive.Source);
        // A long data stream rides out at least ten reconnections (about two and a half minutes of backoff).
        int retries = Math.Max(storage.MaxRetries, 10);
        var (map, serialReason) = BlockMap(archive, manifest, skipChecks);
        var feed = new BucketArchiveFeed(client, location, archive, manifest, retries, log)
        {
            Blocks = map is null ? null : ArchiveBlockReader.FromBucket(client, location, map, retries, log),
            SerialReason = serialReason,
        };
        if (feed.Blocks is not null)
        {
            // Every phase is fed this TOC: one changed since the backup is refused (DamagedArchive) before anything is created.
            await feed.Blocks.TocAsync(ct).ConfigureAwait(false);
        }
        return feed;
    }

    /// <summary>
    /// A local backup read whole against its manifest's SHA-256 (each file's, for a folder), before anything is
    /// restored: a changed byte of the same size is a damaged backup, whether in a row or in the table of contents.
    /// An object in a bucket is checked as it streams instead (<see cref="BucketArchiveFeed"/>).
    /// </summary>
    private static async Task CheckLocalDigestAsync(string path, BackupManifest manifest, Action<string>? log, CancellationToken ct)
    {
        if (manifest.Sha256.Length == 0)
            return;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (_, sha256, files) = await ArchiveDigest.HashAsync(path, ct).ConfigureAwait(false);
        if (sha256 != manifest.Sha256)
        {
            var recorded = manifest.Files.ToDictionary(f => f.Name, f => f.Sha256, StringComparer.Ordinal);
            var changed = files.Where(f => recorded.GetValueOrDefault(f.Name) != f.Sha256).Select(f => f.Name).ToList();
            throw new PgPhaseException($"{path} has SHA-256 {sha256} but its manifest says {manifest.Sha256}" +
                                       (changed.Count > 0 ? $" ({string.Join(", ", changed.Take(5))} changed)" : "") +
                                       ": the backup was damaged or replaced after it was made", PgPhaseErrorCode.DamagedArchive);
        }
        log?.Invoke($"{path}: SHA-256 matches the manifest (read in {clock.Elapsed.TotalSeconds:F1} s)");
    }

    /// <summary>Whether a local archive holds the data of the entries restored, each format by its own layout; throws naming what is missing.</summary>
    private static async Task CheckLocalDataAsync(DumpArchive archive, IEnumerable<TocEntry> entries, Action<string>? log, CancellationToken ct)
    {
        switch (archive.Format)
        {
            case ArchiveFormat.Tar when File.Exists(archive.Source):
                var members = await TarMemberMap.ReadAsync(archive.Source, ct).ConfigureAwait(false);
                members.TableData(archive);
                if (entries.Any(e => e.Type == "BLOBS"))
                    members.CheckLargeObjects(archive);
                break;
            case ArchiveFormat.Custom when File.Exists(archive.Source):
                // A walk of a pipe-written archive's blocks seeks through the whole file: off the caller's thread.
                await Task.Run(() => CustomBlockCheck.Run(archive, entries, log, ct), ct).ConfigureAwait(false);
                break;
            case ArchiveFormat.Directory when Directory.Exists(archive.Source):
                DirectoryDataCheck.Run(archive, entries);
                break;
        }
    }

    /// <summary>The manifest's map of the data blocks when it fits the archive as it is now; otherwise why there is none.</summary>
    private static (ArchiveBlockMap? Map, string? Why) BlockMap(DumpArchive archive, BackupManifest? manifest, bool skipChecks)
    {
        if (manifest is null)
            return (null, skipChecks ? "checks were skipped, so its manifest, which maps the data blocks, was not read" : "it has no manifest to map its data blocks");
        if (manifest.DataBlocks is not { } map)
            return (null, "its manifest records no data block offsets (a backup by an older pgphase, or by another tool)");
        if (map.Mismatch(archive, manifest.Size) is { } why)
            return (null, $"its manifest's map of the data blocks does not fit the archive ({why})");
        return (map, null);
    }
}
