using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Amazon.S3;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;
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

    /// <summary>Appended to a backup's location to name its lock.</summary>
    internal const string LockSuffix = ".pgphase-lock";

    private readonly BackupOptions _options;
    private readonly IProgress<BackupProgress>? _progress;
    private readonly Action<string>? _log;
    private readonly Action<string>? _debug;
    private string _activity = "starting pg_dump";
    private IReadOnlyList<string> _rowsLeftOut = [];

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

    /// <summary>Where a backup of <paramref name="database"/> goes: the destination itself, or under it when it ends with a slash.</summary>
    internal static string ResolveDestination(string destination, string database, string? backupName, BackupFormat format, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(destination))
            throw new ArgumentException("a backup destination is required: a file, a folder, or s3://bucket/key (ending in / for one key per database)");
        if (!destination.EndsWith('/') && !destination.EndsWith(Path.DirectorySeparatorChar))
            return destination;
        var name = string.IsNullOrWhiteSpace(backupName) ? now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) : backupName;
        var safeDatabase = database.Replace('/', '_').Replace('\\', '_');
        return $"{destination}{safeDatabase}/{name}{(format == BackupFormat.Custom ? ".dump" : "")}";
    }

    /// <summary>Dumps, stores, verifies and writes the manifest; returns it. A failure leaves nothing visible behind.</summary>
    public async Task<BackupManifest> RunAsync(CancellationToken ct)
    {
        var source = _options.Source;
        var database = source.Database;
        if (string.IsNullOrEmpty(database))
            throw new ArgumentException("the source connection names no database (dbname)");
        bool toBucket = S3ObjectLocation.IsS3Uri(_options.Destination);
        if (toBucket && _options.Format == BackupFormat.Directory)
            throw new ArgumentException("directory-format backups are local only; a bucket receives one custom-format object");
        if (_options.Jobs > 1 && _options.Format != BackupFormat.Directory)
            throw new ArgumentException("parallel pg_dump jobs need the directory format");
        if (_options.Compression is { } z && !IsCompression(z))
            throw new ArgumentException($"compression \"{z}\": expected a level 0-9 or method[:detail] (gzip, lz4, zstd, none)");
        if (toBucket)
            _options.Multipart.Validate();

        var started = DateTimeOffset.UtcNow;
        var location = ResolveDestination(_options.Destination, database, _options.BackupName, _options.Format, started);
        if (!toBucket)
            location = Path.GetFullPath(location);

        var facts = await SourceInspector.InspectAsync(source, ct).ConfigureAwait(false);
        if (CopySelection is not null)
            _rowsLeftOut = Copy.CopyDump.RowsLeftOut(CopySelection, facts.Tables);
        var pgDump = PgToolLocator.Find("pg_dump", facts.ServerMajor, $"the source server {source} (PostgreSQL {facts.ServerVersion})", _options.PgDumpPath);
        Log($"backing up {source} ({SizeText.Format(facts.DatabaseSize)}, PostgreSQL {facts.ServerVersion}) to {location} with {pgDump.VersionText}");

        var storage = _options.Storage;
        using var client = toBucket ? S3ClientFactory.Create(storage, location.ToString()!) : null;
        if (toBucket && facts.DatabaseSize > _options.Multipart.MaxObjectSize)
            Log($"warning: the database ({SizeText.Format(facts.DatabaseSize)}) is larger than the {SizeText.Format(_options.Multipart.MaxObjectSize)} these part settings can upload; an uncompressed dump may not fit");

        ILockStore lockStore;
        if (client is not null)
        {
            var target = S3ObjectLocation.Parse(location);
            if (!_options.SkipChecks)
                await BucketProbe.CheckReachableAsync(client, target, ct).ConfigureAwait(false);
            lockStore = new S3LockStore(client, target with { Key = target.Key + LockSuffix }, _log);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(location)!);
            lockStore = new LocalLockStore(location + LockSuffix);
        }

        await using var held = await BackupLock.AcquireAsync(lockStore, location, _options.Lock, _log, ct).ConfigureAwait(false);
        _debug?.Invoke($"lock {lockStore.Name} taken by run {held.RunId}");
        // A run that finds the lock taken from it stops at once: its pg_dump is killed and its upload aborted.
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct, held.Lost);
        try
        {
            return await RunLockedAsync(source, database, location, started, facts, pgDump, client, storage, held, run.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (held.IsLost && !ct.IsCancellationRequested)
        {
            throw new BackupException(held.LostMessage, PgPhaseErrorKind.Busy);
        }
    }

    private async Task<BackupManifest> RunLockedAsync(PgConnectionInfo source, string database, string location, DateTimeOffset started, SourceFacts facts,
        PgTool pgDump, IAmazonS3? client, S3Settings storage, BackupLock held, CancellationToken ct)
    {
        bool toBucket = client is not null;
        if (client is not null)
        {
            foreach (var line in await S3MultipartUpload.AbortEarlierUploadsAsync(client, S3ObjectLocation.Parse(location), ct).ConfigureAwait(false))
                Log(line);
        }
        else
        {
            RemoveAbandonedPartials(location, held.TakenOverFrom);
        }

        await EnsureFreeAsync(location, client, ct).ConfigureAwait(false);
        var stored = toBucket
            ? await DumpToBucketAsync(pgDump, S3ObjectLocation.Parse(location), client!, storage, held, ct).ConfigureAwait(false)
            : await DumpToDiskAsync(pgDump, location, held, ct).ConfigureAwait(false);

        var archive = await ReadBackAsync(location, database, storage, ct).ConfigureAwait(false);
        var manifest = Manifest(source, database, location, started, facts, pgDump, stored, archive);
        await held.VerifyAsync("writing the manifest", ct).ConfigureAwait(false);
        await ManifestStore.SaveAsync(manifest, client, ct).ConfigureAwait(false);
        Log($"backup complete: {location}, {SizeText.Format(stored.Size)}, sha256 {stored.Sha256}");
        return manifest;
    }

    /// <summary>The TOC read back from what was stored: the backup is checked, not trusted.</summary>
    private static async Task<DumpArchive> ReadBackAsync(string location, string database, S3Settings storage, CancellationToken ct)
    {
        DumpArchive archive;
        try
        {
            archive = await ArchiveReader.ReadAsync(new ArchiveLocation(location, storage), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArchiveFormatException or ArchiveSourceException)
        {
            throw new BackupException($"{location} was stored but its table of contents cannot be read back ({ex.Message}); no manifest was written, so it does not count as a backup", ex);
        }
        if (archive.DatabaseName != database)
            throw new BackupException($"{location} was stored but holds database \"{archive.DatabaseName}\", not \"{database}\"; no manifest was written");
        return archive;
    }

    private BackupManifest Manifest(PgConnectionInfo source, string database, string location, DateTimeOffset started, SourceFacts facts, PgTool pgDump,
        Stored stored, DumpArchive archive) => new()
    {
        Location = location,
        Database = database,
        Server = $"{source.Host ?? "localhost"}:{source.Port}",
        User = facts.User,
        ServerVersion = facts.ServerVersion,
        ServerVersionNum = facts.ServerVersionNum,
        PgDumpVersion = pgDump.VersionText,
        Format = _options.Format,
        Compression = _options.Compression,
        Size = stored.Size,
        Sha256 = stored.Sha256,
        Parts = stored.Parts,
        StartedAt = started,
        CompletedAt = DateTimeOffset.UtcNow,
        DatabaseSize = facts.DatabaseSize,
        Filters = new BackupFilters
        {
            Schemas = _options.Schemas, ExcludeSchemas = _options.ExcludeSchemas, Tables = _options.Tables,
            ExcludeTables = _options.ExcludeTables, ExcludeTableData = [.. _options.ExcludeTableData, .. _rowsLeftOut],
        },
        Toc = new TocSummary
        {
            ArchiveVersion = archive.Version.ToString(),
            Entries = archive.Entries.Count,
            TableData = archive.Entries.Count(e => e.Type == "TABLE DATA"),
            ByType = archive.Entries.GroupBy(e => e.Type).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
        },
        Tables = facts.Tables,
        Indexes = facts.Indexes,
        Files = stored.Files,
        DataBlocks = CheckedBlocks(stored, archive),
    };

    private sealed record Stored(long Size, string Sha256, int Parts, IReadOnlyList<ArchiveFile> Files, ArchiveBlockMap? Blocks = null);

    private ArchiveBlockMap? NoBlocks(string? problem)
    {
        _debug?.Invoke($"no data block map recorded ({problem}); a restore of this backup streams its data phase through one pg_restore");
        return null;
    }

    /// <summary>The block map, if it describes the archive as read back; a restore relies on it, so a doubt drops it.</summary>
    private ArchiveBlockMap? CheckedBlocks(Stored stored, DumpArchive archive)
    {
        if (stored.Blocks is not { } map)
            return null;
        if (map.Mismatch(archive, stored.Size) is { } why)
            return NoBlocks(why);
        _debug?.Invoke($"data block map recorded: {Plural.Of(map.Blocks.Count, "block")} after the TOC's {Plural.Of(map.TocEnd, "byte")}");
        return map;
    }

    /// <summary>Refuses to replace a backup unless forced; when forced, its manifest goes first, so the old backup stops counting before it changes.</summary>
    private async Task EnsureFreeAsync(string location, IAmazonS3? client, CancellationToken ct)
    {
        string? existing;
        if (client is not null)
        {
            existing = await BucketProbe.DescribeIfExistsAsync(client, S3ObjectLocation.Parse(location), ct).ConfigureAwait(false)
                       ?? await BucketProbe.DescribeIfExistsAsync(client, S3ObjectLocation.Parse(BackupManifest.ManifestLocationFor(location)), ct).ConfigureAwait(false);
        }
        else
        {
            existing = File.Exists(location) ? $"a file of {SizeText.Format(new FileInfo(location).Length)}, last modified {File.GetLastWriteTimeUtc(location):u}"
                : Directory.Exists(location) ? "a folder"
                : File.Exists(BackupManifest.ManifestLocationFor(location)) ? "its manifest is there" : null;
        }
        if (existing is null)
            return;
        if (!_options.Force)
            throw new BackupException($"{location} already exists ({existing}); choose another name, or force to replace it", BackupFailure.Exists);
        Log($"replacing the existing backup at {location}");
        await ManifestStore.DeleteAsync(location, client, ct).ConfigureAwait(false);
    }

    private List<string> DumpArguments(string? file)
    {
        var args = BuildArguments(file);
        // The connection string carries no password (that goes through a password file), so this is safe to show.
        _debug?.Invoke(ToolProcess.Display("pg_dump", args));
        return args;
    }

    private List<string> BuildArguments(string? file)
    {
        var args = new List<string> { "-d", _options.Source.ToLibpqString(), "-v" };
        args.Add(_options.Format == BackupFormat.Directory ? "-Fd" : "-Fc");
        if (file is not null)
            args.AddRange(["-f", file]);
        if (_options.Jobs > 1)
            args.AddRange(["-j", _options.Jobs.ToString(CultureInfo.InvariantCulture)]);
        if (!string.IsNullOrEmpty(_options.Compression))
            args.AddRange(["-Z", _options.Compression]);
        foreach (var s in _options.Schemas)
            args.Add("--schema=" + s);
        foreach (var s in _options.ExcludeSchemas)
            args.Add("--exclude-schema=" + s);
        foreach (var t in _options.Tables)
            args.Add("--table=" + t);
        foreach (var t in _options.ExcludeTables)
            args.Add("--exclude-table=" + t);
        foreach (var t in _options.ExcludeTableData.Concat(_rowsLeftOut))
            args.Add("--exclude-table-data=" + t);
        if (CopySelection is not null && Copy.CopyDump.LeavesOutLargeObjects(CopySelection))
            args.Add("-B"); // --no-blobs, --no-large-objects from pg_dump 16 on
        if (_options.LockWaitTimeout is { } wait)
            args.Add("--lock-wait-timeout=" + ((long)wait.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        return args;
    }

    /// <summary>Removes the partial files of runs that are gone: killed on this host (their pid no longer runs), or the abandoned holder this run took the lock from.</summary>
    private void RemoveAbandonedPartials(string location, BackupLockHolder? takenOver)
    {
        foreach (var (path, host, pid) in RunIdentity.Partials(location).ToList())
        {
            bool gone = (RunIdentity.IsThisHost(host) && !RunIdentity.IsAlive(pid, null))
                        || (takenOver is not null && string.Equals(host, takenOver.Host, StringComparison.OrdinalIgnoreCase) && pid == takenOver.Pid);
            if (!gone)
                continue;
            DeletePath(path);
            Log($"{location}: removed {Path.GetFileName(path)}, left by an earlier run (pid {pid} on {host}) that is gone");
        }
    }

    private async Task<Stored> DumpToBucketAsync(PgTool pgDump, S3ObjectLocation target, IAmazonS3 client, S3Settings storage, BackupLock held, CancellationToken ct)
    {
        var upload = await S3MultipartUpload.StartAsync(client, target, _options.Multipart, storage.UseGenericProtocol,
            new Dictionary<string, string> { ["pgphase-database"] = _options.Source.Database! }, ct).ConfigureAwait(false);
        _debug?.Invoke($"multipart upload {upload.UploadId} started for {target}");
        var clock = Stopwatch.StartNew();
        var partProgress = new CallbackProgress<UploadProgress>(p => Report(target.ToString(), p.Bytes, clock, $"{Plural.Of(p.PartsDone, "part")} stored, part size {SizeText.Format(p.CurrentPartSize)}; {_activity}"));
        bool completed = false;
        try
        {
            // Watched on its way to the bucket: the map of its data blocks lets a restore fetch tables one by one.
            var scanner = new ArchiveBlockScanner();
            var run = await ToolProcess.RunAsync(pgDump, DumpArguments(null), _options.Source, OnDumpLine, ct, Environment(),
                readStdout: (stdout, token) => upload.UploadFromAsync(new ObservedReadStream(stdout, scanner.Append), partProgress, token)).ConfigureAwait(false);
            if (run.ExitCode != 0)
                throw new BackupException($"pg_dump failed with exit code {run.ExitCode}: {Tail(run.ErrorLines)}");
            await held.VerifyAsync("completing the upload", ct).ConfigureAwait(false);
            // For writers that take no lock (another tool, an older version) on servers that ignore If-None-Match.
            if (!_options.Force && await BucketProbe.DescribeIfExistsAsync(client, target, ct).ConfigureAwait(false) is { } appeared)
                throw new BackupException($"{target}: an object ({appeared}) was written at this key while this backup ran, by a writer that takes no backup lock; it was left as it is", PgPhaseErrorKind.AlreadyExists);
            await upload.CompleteAsync(onlyIfAbsent: !_options.Force, _log, ct).ConfigureAwait(false);
            completed = true;
            _debug?.Invoke($"upload {upload.UploadId} completed: {Plural.Of(upload.PartCount, "part")}, {Plural.Of(upload.Size, "byte")} verified by the server's size");
            return new Stored(upload.Size, upload.Sha256!, upload.PartCount, [], scanner.Finish() ?? NoBlocks(scanner.Problem));
        }
        catch (Exception ex) when (!completed)
        {
            var problem = await upload.AbortAsync().ConfigureAwait(false);
            var outcome = problem ?? $"upload {upload.UploadId} aborted, no object was written";
            Log($"backup of {_options.Source.Database} to {target} failed: {outcome}");
            if (ex is OperationCanceledException)
                throw;
            var text = Message(ex);
            throw new BackupException($"{(text.StartsWith(target.ToString(), StringComparison.Ordinal) ? text : $"{target}: {text}")}; {outcome}", ex);
        }
    }

    private async Task<Stored> DumpToDiskAsync(PgTool pgDump, string location, BackupLock held, CancellationToken ct)
    {
        // Unique per run and named after its writer, so a later run can tell a killed run's leftovers.
        var partial = RunIdentity.PartialPath(location, held.RunId);
        var clock = Stopwatch.StartNew();
        using var polling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var poller = Task.Run(async () =>
        {
            while (!polling.IsCancellationRequested)
            {
                await Task.Delay(1000, polling.Token).ConfigureAwait(false);
                Report(location, LocalPaths.Size(partial), clock, _activity);
            }
        }, CancellationToken.None);
        try
        {
            var run = await ToolProcess.RunAsync(pgDump, DumpArguments(partial), _options.Source, OnDumpLine, ct, Environment()).ConfigureAwait(false);
            if (run.ExitCode != 0)
                throw new BackupException($"{location}: pg_dump failed with exit code {run.ExitCode}: {Tail(run.ErrorLines)}; nothing was written");
            var (size, sha, files) = await HashAsync(partial, ct).ConfigureAwait(false);
            Report(location, size, clock, "stored");
            await held.VerifyAsync("publishing the backup", ct).ConfigureAwait(false);
            Publish(partial, location, _options.Force);
            return new Stored(size, sha, 0, files);
        }
        catch
        {
            DeletePath(partial);
            throw;
        }
        finally
        {
            polling.Cancel();
            try { await poller.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>
    /// Moves the finished dump to its name. Unforced, the move refuses an existing name (a file is linked into
    /// place, which fails if the name exists; a folder is renamed, which fails onto a non-empty folder), so of two
    /// runs that got this far only the first publishes. A forced replacement swaps the old one out first.
    /// </summary>
    private static void Publish(string partial, string location, bool force)
    {
        try
        {
            if (File.Exists(partial))
            {
                File.Move(partial, location, overwrite: force);
                return;
            }
            if (force && Directory.Exists(location))
            {
                var old = location + ".pgphase-old";
                DeletePath(old);
                Directory.Move(location, old);
                Directory.Move(partial, location);
                DeletePath(old);
                return;
            }
            if (force && File.Exists(location))
                File.Delete(location);
            Directory.Move(partial, location);
        }
        catch (IOException ex) when (!force && (File.Exists(location) || Directory.Exists(location)))
        {
            throw new BackupException($"{location}: another backup was published there while this one ran; it was left as it is and this one discarded (force to replace)", PgPhaseErrorKind.AlreadyExists, ex);
        }
    }

    /// <summary>Size and SHA-256 of a file, or of a folder's files (the folder's digest covers each file's name and digest).</summary>
    private static async Task<(long Size, string Sha256, IReadOnlyList<ArchiveFile> Files)> HashAsync(string path, CancellationToken ct)
    {
        if (File.Exists(path))
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
            var digest = await SHA256.HashDataAsync(file, ct).ConfigureAwait(false);
            return (file.Length, Hex(digest), []);
        }
        var files = new List<ArchiveFile>();
        foreach (var f in Directory.EnumerateFiles(path).Order(StringComparer.Ordinal))
        {
            await using var file = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
            files.Add(new ArchiveFile(Path.GetFileName(f), file.Length, Hex(await SHA256.HashDataAsync(file, ct).ConfigureAwait(false))));
        }
        var listing = string.Join("\n", files.Select(f => $"{f.Sha256}  {f.Name}"));
        return (files.Sum(f => f.Size), Hex(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(listing))), files);
    }

    private static string Hex(byte[] digest) => Convert.ToHexString(digest).ToLowerInvariant();

    private static void DeletePath(string path)
    {
        if (File.Exists(path))
            File.Delete(path);
        else if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
    }

    private static Dictionary<string, string> Environment() => new() { ["PGAPPNAME"] = "pgphase backup" };

    private void OnDumpLine(string line)
    {
        _debug?.Invoke(line);
        const string dumping = "pg_dump: dumping contents of table ";
        if (line.StartsWith(dumping, StringComparison.Ordinal))
            _activity = "dumping table " + line[dumping.Length..];
        else if (line.Contains("error:", StringComparison.Ordinal) || line.Contains("warning:", StringComparison.Ordinal))
            Log(line);
    }

    private void Report(string destination, long bytes, Stopwatch clock, string activity) =>
        _progress?.Report(new BackupProgress(_options.Source.Database!, destination, bytes, bytes / Math.Max(0.001, clock.Elapsed.TotalSeconds), activity));

    private static string Tail(IReadOnlyList<string> lines) =>
        string.Join(" | ", lines.Where(l => !l.StartsWith("pg_dump: dumping", StringComparison.Ordinal) && !l.StartsWith("pg_dump: reading", StringComparison.Ordinal)).TakeLast(5));

    private static string Message(Exception ex) => ex.Message.Split('\n', 2)[0].Trim();

    private static bool IsCompression(string z) =>
        System.Text.RegularExpressions.Regex.IsMatch(z, @"^([0-9]|(none|gzip|lz4|zstd)(:[A-Za-z0-9_=,]+)?)$");

    private void Log(string message) => _log?.Invoke(message);
}
