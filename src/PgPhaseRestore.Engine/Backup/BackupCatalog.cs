using Amazon.S3.Model;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>
/// Finds the complete backups under a bucket prefix or a folder: those whose manifest exists (it is written
/// last), newest first. An archive without a manifest is not a backup and is not listed.
/// </summary>
public static class BackupCatalog
{
    /// <summary>
    /// The archive a restore reads: <paramref name="location"/> itself, or, when it is a prefix or folder (ending in
    /// a slash), the key a backup of <paramref name="database"/> named <paramref name="backupName"/> was written to
    /// (the same rule as the backup's), else the newest complete backup of that database there.
    /// </summary>
    public static Task<ArchiveLocation> ResolveAsync(ArchiveLocation location, string? database, string? backupName, CancellationToken ct) =>
        PgPhaseErrors.AtBoundaryAsync(() => ResolveCoreAsync(location, database, backupName, ct));

    private static async Task<ArchiveLocation> ResolveCoreAsync(ArchiveLocation location, string? database, string? backupName, CancellationToken ct)
    {
        var path = location.Path;
        if (!path.EndsWith('/') && !path.EndsWith(Path.DirectorySeparatorChar))
            return location;
        if (string.IsNullOrWhiteSpace(database))
            throw new PgPhaseException($"{path} is a prefix: name the database whose backup to restore (SRC_DBNAME, or the archive's full key)", PgPhaseErrorCode.InvalidInput);
        if (!string.IsNullOrWhiteSpace(backupName))
            return location.At(BackupNaming.ResolveDestination(path, database, backupName, BackupFormat.Custom, DateTimeOffset.UtcNow));
        var prefix = location.At(BackupNaming.ResolveDestination(path, database, "x", BackupFormat.Directory, DateTimeOffset.UtcNow)[..^1]);
        var found = await ListAsync(prefix, database, ct).ConfigureAwait(false);
        return found.Count > 0 ? location.At(found[0].Location) : throw new PgPhaseException($"no complete backup of \"{database}\" under {prefix}", PgPhaseErrorCode.InvalidInput);
    }

    /// <summary>The complete backups under a bucket prefix or a folder (searched recursively), of one database or all, newest first.</summary>
    public static Task<IReadOnlyList<BackupManifest>> ListAsync(ArchiveLocation location, string? database, CancellationToken ct) =>
        ListAsync(location, database, null, ct);

    /// <summary>
    /// The complete backups under a bucket prefix or a folder (searched recursively), of one database or all, newest
    /// first. A manifest that marks no complete backup (unreadable, not a backup manifest, or without its archive) is
    /// left out and handed to <paramref name="notListed"/> with its location and a <see cref="PgPhaseErrorCode.NotABackup"/>
    /// failure that names it: one such file does not hide the others.
    /// </summary>
    public static Task<IReadOnlyList<BackupManifest>> ListAsync(ArchiveLocation location, string? database, Action<string, PgPhaseException>? notListed, CancellationToken ct) =>
        PgPhaseErrors.AtBoundaryAsync(() => ListCoreAsync(location, database, notListed, ct));

    /// <summary>
    /// Whether the archive at <paramref name="key"/> is under <paramref name="prefix"/> as a folder, or is its very
    /// key: a prefix written without its slash (s3://bucket/nightly/app) names the folder app, never app_j beside it. A
    /// prefix that reaches into the manifest's own name (its key copied whole) names that one backup.
    /// </summary>
    internal static bool InFolder(string prefix, string key) =>
        prefix.Length == 0 || prefix.EndsWith('/') || key.Length <= prefix.Length || key[prefix.Length] == '/';

    private static async Task<IReadOnlyList<BackupManifest>> ListCoreAsync(ArchiveLocation location, string? database, Action<string, PgPhaseException>? notListed, CancellationToken ct)
    {
        var found = new List<BackupManifest>();
        if (location.IsBucket)
        {
            var (bucket, prefix) = S3ObjectLocation.ParsePrefix(location.Path);
            using var client = location.CreateClient()!;
            var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
            // Every key listed, so that an archive's presence is known without a request of its own: it sorts before
            // its manifest, but may be on another page.
            var keys = new HashSet<string>(StringComparer.Ordinal);
            var archives = new List<string>();
            ListObjectsV2Response page;
            do
            {
                page = await S3Errors.CallAsync(client, new S3ObjectLocation(bucket, prefix), "list the backups",
                    () => client.ListObjectsV2Async(request, ct), ct).ConfigureAwait(false);
                foreach (var obj in page.S3Objects ?? [])
                {
                    keys.Add(obj.Key);
                    if (!obj.Key.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal))
                        continue;
                    var key = obj.Key[..^BackupManifest.Suffix.Length];
                    if (InFolder(prefix, key))
                        archives.Add(key);
                }
                request.ContinuationToken = page.NextContinuationToken;
            } while (page.IsTruncated == true);
            foreach (var key in archives)
            {
                var archive = new S3ObjectLocation(bucket, key);
                // A prefix that reaches into the manifest's name (its key copied whole) lists the manifest but not the archive.
                bool present = keys.Contains(key) || (key.Length < prefix.Length && await BucketProbe.DescribeIfExistsAsync(client, archive, ct).ConfigureAwait(false) is not null);
                if (await LoadAsync(archive.ToString(), present, client, database, notListed, ct).ConfigureAwait(false) is { } manifest)
                    found.Add(manifest);
            }
        }
        else if (LocalArchiveNamed(location.Path) is { } single)
        {
            // An archive's own path (or its manifest's) lists that one backup, as an archive's own key does in a bucket.
            if (await LoadAsync(single, Present(single), null, database, notListed, ct).ConfigureAwait(false) is { } manifest)
                found.Add(manifest);
        }
        else
        {
            if (!Directory.Exists(location.Path))
                throw PgPhaseException.Storage(location.ToString(), "no such folder", code: PgPhaseErrorCode.ArchiveNotFound);
            foreach (var file in Directory.EnumerateFiles(location.Path, "*" + BackupManifest.Suffix, SearchOption.AllDirectories))
            {
                var archive = file[..^BackupManifest.Suffix.Length];
                if (await LoadAsync(archive, Present(archive), null, database, notListed, ct).ConfigureAwait(false) is { } manifest)
                    found.Add(manifest);
            }
        }
        return found
            .Where(m => database is null || string.Equals(m.Database, database, StringComparison.Ordinal))
            .OrderByDescending(m => m.CompletedAt)
            .ToList();
    }

    /// <summary>
    /// The archive a local path names when it is one backup rather than a folder of them: an archive file or folder
    /// with its manifest beside it, or that manifest itself; null for a folder to search.
    /// </summary>
    private static string? LocalArchiveNamed(string path)
    {
        var trimmed = path.TrimEnd('/', Path.DirectorySeparatorChar);
        if (trimmed.EndsWith(BackupManifest.Suffix, StringComparison.Ordinal) && File.Exists(trimmed))
            return trimmed[..^BackupManifest.Suffix.Length];
        return File.Exists(BackupManifest.ManifestLocationFor(trimmed)) && Present(trimmed) ? trimmed : null;
    }

    /// <summary>A local archive is there: a custom or tar file, or a directory archive's folder.</summary>
    private static bool Present(string archive) => File.Exists(archive) || Directory.Exists(archive);

    /// <summary>
    /// The manifest beside <paramref name="archive"/> when it marks a complete backup; else null, reported to
    /// <paramref name="notListed"/>. Storage failures are not the manifest's and end the listing.
    /// </summary>
    private static async Task<BackupManifest?> LoadAsync(string archive, bool archivePresent, Amazon.S3.IAmazonS3? client, string? database,
        Action<string, PgPhaseException>? notListed, CancellationToken ct)
    {
        var manifestLocation = BackupManifest.ManifestLocationFor(archive);
        try
        {
            var manifest = await ManifestStore.TryLoadAsync(archive, client, ct).ConfigureAwait(false);
            if (manifest is null || archivePresent)
                return manifest;
            // Another database's orphan is not what a listing of this one reports (an unreadable manifest names no database).
            if (database is not null && !string.Equals(manifest.Database, database, StringComparison.Ordinal))
                return null;
            notListed?.Invoke(manifestLocation, new PgPhaseException($"{manifestLocation}: a manifest without its archive ({archive} is not there); it is not listed as a backup", PgPhaseErrorCode.NotABackup));
        }
        catch (PgPhaseException ex) when (ex.Code is PgPhaseErrorCode.DamagedArchive or PgPhaseErrorCode.InvalidInput)
        {
            // Its message names the manifest and says why it is not one.
            notListed?.Invoke(manifestLocation, new PgPhaseException($"{ex.Message}; it is not listed as a backup", PgPhaseErrorCode.NotABackup, ex));
        }
        return null;
    }
}
