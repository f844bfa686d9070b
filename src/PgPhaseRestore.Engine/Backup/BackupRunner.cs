using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Processes;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>
/// Dumps one database with pg_dump into a local file, a local folder or straight into a multipart upload,
/// verifies what was stored, then writes the manifest last so that its presence marks a complete backup.
/// A failed or cancelled backup leaves nothing visible: partial files are removed, uploads aborted.
/// One run at a time writes a location: a lock beside it (<see cref="BackupLock"/>) is taken before anything
/// else and checked again before the object or file and then the manifest become visible.
/// </summary>
public sealed class BackupRunner
{
    /// <summary>The selection of a copy: the dump leaves out the rows and large objects it does not copy (<see cref="Copy.CopyDump"/>).</summary>
    internal Planning.PlanOptions? CopySelection { get; init; }

    private readonly BackupOptions _options;
    private readonly IProgress<BackupProgress>? _progress;
    private readonly Action<string>? _log;
    private readonly Action<string>? _debug;

    /// <summary>A backup with these options.</summary>
    /// <param name="options">What to dump, where to, and how.</param>
    /// <param name="progress">Bytes written and what pg_dump is doing, as it goes.</param>
    /// <param name="log">One line per step, for a verbose stream.</param>
    /// <param name="debug">pg_dump's own output and the details of each step.</param>
    public BackupRunner(BackupOptions options, IProgress<BackupProgress>? progress = null, Action<string>? log = null, Action<string>? debug = null)
    {
        _options = options;
        _progress = progress;
        _log = log;
        _debug = debug;
    }

    /// <summary>Dumps, stores, verifies and writes the manifest; returns it. A failure leaves nothing visible behind.</summary>
    public Task<BackupManifest> RunAsync(CancellationToken ct) =>
        PgPhaseErrors.AtBoundaryAsync(() => RunCoreAsync(ct));

    private async Task<BackupManifest> RunCoreAsync(CancellationToken ct)
    {
        var source = _options.Source;
        var database = source.Database;
        if (string.IsNullOrEmpty(database))
            throw PgPhaseException.NoDatabase(source, "source");
        bool toBucket = S3ObjectLocation.IsS3Uri(_options.Destination);
        if (toBucket && _options.Format == BackupFormat.Directory)
            throw PgPhaseException.OfOption(nameof(BackupOptions.Format), "directory-format backups are local only; a bucket receives one custom-format object", PgPhaseErrorCode.InvalidInput);
        if (_options.Jobs > 1 && _options.Format != BackupFormat.Directory)
            throw PgPhaseException.OfOption(nameof(BackupOptions.Format), $"{_options.Jobs} parallel pg_dump jobs need the directory format", PgPhaseErrorCode.InvalidInput);
        if (_options.Compression is { } z && !IsCompression(z))
            throw PgPhaseException.OfOption(nameof(BackupOptions.Compression), $"compression \"{z}\": expected a level 0-9 or method[:detail] (gzip, lz4, zstd, none)", PgPhaseErrorCode.InvalidInput);
        if (toBucket)
            _options.Multipart.Validate();

        var started = DateTimeOffset.UtcNow;
        var location = BackupNaming.ResolveDestination(_options.Destination, database, _options.BackupName, _options.Format, started);
        if (!toBucket)
            location = Path.GetFullPath(location);

        var facts = await SourceInspector.InspectAsync(source, ct, forBackup: true, lockWait: _options.LockWaitTimeout).ConfigureAwait(false);
        IReadOnlyList<string> rowsLeftOut = [];
        if (CopySelection is not null)
            rowsLeftOut = Copy.CopyDump.RowsLeftOut(CopySelection, facts.Tables, facts.PartitionAncestors);
        var pgDump = PgToolLocator.Find("pg_dump", facts.ServerMajor, $"the source server {source} (PostgreSQL {facts.ServerVersion})", _options.PgDumpPath);
        Log($"backing up {source} ({SizeText.Format(facts.DatabaseSize)}, PostgreSQL {facts.ServerVersion}) to {location} with {pgDump.VersionText}");

        using IBackupStore store = toBucket ? new BucketBackupStore(_options, location, _log) : new LocalBackupStore(location, _options.Force, _log);
        if (toBucket && facts.DatabaseSize > _options.Multipart.MaxObjectSize)
            Log($"warning: the database ({SizeText.Format(facts.DatabaseSize)}) is larger than the {SizeText.Format(_options.Multipart.MaxObjectSize)} these part settings can upload; an uncompressed dump may not fit");

        var lockStore = await store.PrepareAsync(ct).ConfigureAwait(false);
        await using var held = await BackupLock.AcquireAsync(lockStore, location, _options.Lock, _log, ct).ConfigureAwait(false);
        _debug?.Invoke($"lock {lockStore.Name} taken by run {held.RunId}");
        // A run that finds the lock taken from it stops at once: its pg_dump is killed and its upload aborted.
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct, held.Lost);
        try
        {
            var dump = new BackupDump(_options, pgDump, rowsLeftOut, CopySelection is not null && Copy.CopyDump.LeavesOutLargeObjects(CopySelection), _progress, _log, _debug);
            return await RunLockedAsync(dump, database, location, started, facts, store, held, run.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (held.IsLost && !ct.IsCancellationRequested)
        {
            throw new PgPhaseException(held.LostMessage, PgPhaseErrorCode.BackupBusy);
        }
    }

    private async Task<BackupManifest> RunLockedAsync(BackupDump dump, string database, string location, DateTimeOffset started, SourceFacts facts,
        IBackupStore store, BackupLock held, CancellationToken ct)
    {
        await store.CleanUpAsync(held.TakenOverFrom, ct).ConfigureAwait(false);
        bool replacing = await EnsureFreeAsync(location, store, ct).ConfigureAwait(false);
        // Publishing (the old manifest removed, the dump in its place, read back, its manifest written) takes a second
        // or two, and a stop in its middle would leave a dump without a manifest, or no backup at all where a forced run
        // replaced one: once the dump is complete, a stop waits for the manifest. Losing the lock still stops it, and
        // a stop ends it only if the store has not finished PublishLimit later.
        using var publishing = CancellationTokenSource.CreateLinkedTokenSource(held.Lost);
        CancellationTokenRegistration stopLater = default;
        try
        {
            var stored = await store.DumpAsync(dump, held, async token =>
            {
                stopLater = ct.Register(() =>
                {
                    Log($"the dump of {database} is complete: it is published, with its manifest, before the run stops");
                    publishing.CancelAfter(PublishLimit);
                });
                if (!replacing)
                    return;
                // Only now, with the new dump complete: a run that fails or is stopped before this leaves the old backup listed.
                await ManifestStore.DeleteAsync(location, store.Client, token).ConfigureAwait(false);
                Log($"the new dump of {database} is complete: the old backup's manifest at {location} is removed, and the new backup replaces it");
            }, ct, publishing.Token).ConfigureAwait(false);

            var archive = await ReadBackAsync(location, database, _options, publishing.Token).ConfigureAwait(false);
            var manifest = ManifestBuilder.Build(dump, _options.Source, database, location, started, facts, stored, archive);
            await held.VerifyAsync("writing the manifest", publishing.Token).ConfigureAwait(false);
            await ManifestStore.SaveAsync(manifest, store.Client, publishing.Token).ConfigureAwait(false);
            Log($"backup complete: {location}, {SizeText.Format(stored.Size)}, sha256 {stored.Sha256}");
            return manifest;
        }
        catch (OperationCanceledException ex) when (publishing.IsCancellationRequested && !held.IsLost)
        {
            throw new PgPhaseException($"{location}: stopped while the backup was published, and the store did not finish within {PublishLimit.TotalMinutes:0} minutes; " +
                                       $"no backup is listed at this key{(replacing ? " (the one it replaced was removed)" : "")}", PgPhaseErrorCode.BackupFailed, ex);
        }
        finally
        {
            stopLater.Dispose();
        }
    }

    /// <summary>
    /// How long publishing may go on after a stop arrives: a store that answers finishes in a second or two. A host
    /// that waits for a stopped run must wait this long, or it may cut a backup between its object and its manifest.
    /// </summary>
    public static TimeSpan PublishLimit { get; } = TimeSpan.FromMinutes(2);

    /// <summary>The TOC read back from what was stored: the backup is checked, not trusted.</summary>
    private static async Task<DumpArchive> ReadBackAsync(string location, string database, BackupOptions options, CancellationToken ct)
    {
        DumpArchive archive;
        try
        {
            archive = await ArchiveReader.ReadAsync(options.At(location), ct).ConfigureAwait(false);
        }
        catch (PgPhaseException ex) when (ex.Code == PgPhaseErrorCode.NotAnArchive || PgPhaseErrors.IsStorage(ex.Code))
        {
            throw PgPhaseException.Wrap($"{location} was stored but its table of contents cannot be read back ({ex.Message}); no manifest was written, so it does not count as a backup", ex, PgPhaseErrorCode.BackupFailed);
        }
        if (archive.DatabaseName != database)
            throw new PgPhaseException($"{location} was stored but holds database \"{archive.DatabaseName}\", not \"{database}\"; no manifest was written", PgPhaseErrorCode.BackupFailed);
        return archive;
    }

    /// <summary>
    /// Refuses to replace a backup unless forced; returns whether one is replaced. Its manifest is removed only once the
    /// new dump is complete, just before the new object takes its place, so the old backup stops counting before it
    /// changes, and not before: until then it stays listed and restorable.
    /// </summary>
    private async Task<bool> EnsureFreeAsync(string location, IBackupStore store, CancellationToken ct)
    {
        var existing = await store.DescribeExistingAsync(ct).ConfigureAwait(false);
        if (existing is null)
            return false;
        // A folder where one file goes, that is no directory-format backup either: forcing could only fail on it.
        if (store is LocalBackupStore && Directory.Exists(location) && (_options.Format == BackupFormat.Custom || !File.Exists(Path.Combine(location, "toc.dat"))))
            throw PgPhaseException.OfOption(nameof(BackupOptions.Destination),
                $"{location} is a folder, not a backup: end the destination with / to back up into that folder (one folder for each database), or name a file; nothing was written",
                PgPhaseErrorCode.InvalidInput);
        if (!_options.Force)
            throw new PgPhaseException($"{location} already exists ({existing})", "; choose another name, or force to replace it", PgPhaseErrorCode.BackupExists);
        Log($"replacing the existing backup at {location} once the new dump is complete; until then it stays as it is");
        return true;
    }

    private static bool IsCompression(string z) =>
        System.Text.RegularExpressions.Regex.IsMatch(z, @"^([0-9]|(none|gzip|lz4|zstd)(:[A-Za-z0-9_=,]+)?)$");

    private void Log(string message) => _log?.Invoke(message);
}