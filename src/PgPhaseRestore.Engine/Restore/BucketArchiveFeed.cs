using System.Diagnostics;
using System.Security.Cryptography;
using Amazon.S3;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Restore.DataLoad;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Feeds an archive that lives in a bucket to pg_restore's standard input. The schema, index and post-data
/// phases need only the table of contents, so they get the object's first bytes (one ranged GET); a serial data
/// phase gets the whole object in one resumable stream. Where the manifest maps the blocks, the TOC and each block
/// are checked against their SHA-256 as they stream, each holding back its last piece until it matched, so no row of a
/// damaged block is committed; otherwise the whole object is checked against the manifest's SHA-256 at its end. A
/// parallel data phase reads the blocks one by one instead (<see cref="Blocks"/>).
/// </summary>
internal sealed class BucketArchiveFeed
{
    private readonly IAmazonS3 _client;
    private readonly S3ObjectLocation _location;
    private readonly DumpArchive _archive;
    private readonly BackupManifest? _manifest;
    private readonly int _retries;
    private readonly Action<string>? _log;
    private readonly SemaphoreSlim _tocGate = new(1, 1);
    private byte[]? _toc;

    public BucketArchiveFeed(IAmazonS3 client, S3ObjectLocation location, DumpArchive archive, BackupManifest? manifest, int retries, Action<string>? log)
    {
        _client = client;
        _location = location;
        _archive = archive;
        _manifest = manifest;
        _retries = retries;
        _log = log;
    }

    /// <summary>The data blocks one by one, when the manifest maps them: the data phase can then load tables side by side.</summary>
    public ArchiveBlockReader? Blocks { get; init; }

    /// <summary>Why the data phase streams the whole object through one pg_restore (null when <see cref="Blocks"/> is set).</summary>
    public string? SerialReason { get; init; }

    /// <summary>Set after a data-phase feed: why the streamed bytes cannot be trusted, or null.</summary>
    public string? IntegrityProblem { get; private set; }

    /// <summary>Set when a serial data phase's feed stopped at a block that did not match its SHA-256: that block's entry.</summary>
    public TocEntry? DamagedEntry { get; private set; }

    /// <summary>Whether a phase can be fed from the TOC alone (custom format keeps its TOC at the front).</summary>
    public bool TocSuffices => _archive.Format == ArchiveFormat.Custom;

    public async Task WriteTocAsync(Stream stdin, CancellationToken ct)
    {
        var toc = await TocAsync(ct).ConfigureAwait(false);
        // A write to stdin fails when pg_restore stops reading, and its exit code says why.
        await stdin.WriteAsync(toc, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The table of contents, read once (resuming with the feed's retries, like the data) and kept: each later phase
    /// and each late index build, which may start while the server restarts, is fed from memory.
    /// </summary>
    private async Task<byte[]> TocAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _toc) is { } toc)
            return toc;
        // Mapped, the TOC is the one the map's SHA-256 vouches for.
        if (Blocks is not null)
            return await Blocks.TocAsync(ct).ConfigureAwait(false);
        await _tocGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_toc is null)
            {
                await using var source = new S3ResumableReadStream(_client, _location, _retries, _log, 0, _archive.TocEndOffset);
                using var bytes = new MemoryStream(checked((int)_archive.TocEndOffset));
                await source.CopyToAsync(bytes, ct).ConfigureAwait(false);
                Volatile.Write(ref _toc, bytes.ToArray());
            }
            return _toc!;
        }
        finally
        {
            _tocGate.Release();
        }
    }

    /// <summary>
    /// The whole object. With <paramref name="restoring"/> (the dump ids pg_restore restores), a block of another entry
    /// passes unchecked: pg_restore reads over it, so a damage there is not this run's to report.
    /// </summary>
    public async Task WriteAllAsync(Stream stdin, Action<long, long, double>? progress, CancellationToken ct, IReadOnlySet<int>? restoring = null)
    {
        if (Blocks is not null)
        {
            await WriteVerifiedAsync(Blocks, stdin, progress, restoring, ct).ConfigureAwait(false);
            return;
        }
        await using var source = new S3ResumableReadStream(_client, _location, _retries, _log);
        try
        {
            await WriteWholeAsync(source, stdin, progress, ct).ConfigureAwait(false);
        }
        catch
        {
            source.Abandon();
            throw;
        }
    }

    private async Task WriteWholeAsync(S3ResumableReadStream source, Stream stdin, Action<long, long, double>? progress, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        var report = EverySecond(progress, source);
        long total = 0;
        bool readerGone = false;
        while (true)
        {
            int n = await source.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (n == 0)
                break;
            sha.AppendData(buffer, 0, n);
            total += n;
            if (!readerGone)
            {
                try
                {
                    await stdin.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // pg_restore has read all it needs (or failed; its exit code says which).
                    readerGone = true;
                    if (source.Length - total > VerifiedBlockCopy.MaxDrainForChecksum)
                        break;
                }
            }
            report(total);
        }
        if (total < source.Length)
        {
            _log?.Invoke($"{_location}: pg_restore needed only the first {SizeText.Format(total)} of {SizeText.Format(source.Length)}; the SHA-256 was not checked");
            return;
        }
        var digest = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
        if (_manifest is not null && !string.Equals(_manifest.Sha256, digest, StringComparison.OrdinalIgnoreCase))
            IntegrityProblem = $"{_location}: the object's SHA-256 is {digest} but its manifest says {_manifest.Sha256}; the archive changed or was damaged after the backup";
        else if (_manifest is not null)
            _log?.Invoke($"{_location}: SHA-256 matches the manifest ({digest})");
    }

    /// <summary>
    /// The whole object in one stream, cut where the map says: the header and TOC, then every block, each copied by
    /// <see cref="VerifiedBlockCopy"/> (those of <paramref name="restoring"/>, when given). Together they are every byte
    /// of the object, so nothing pg_restore restores goes unchecked.
    /// </summary>
    private async Task WriteVerifiedAsync(ArchiveBlockReader blocks, Stream stdin, Action<long, long, double>? progress, IReadOnlySet<int>? restoring,
        CancellationToken ct)
    {
        await using var source = new S3ResumableReadStream(_client, _location, _retries, _log);
        try
        {
            await WriteBlocksAsync(source, blocks, stdin, progress, restoring, ct).ConfigureAwait(false);
        }
        catch
        {
            // The block's own error names the entry; the SDK's check at close would name nothing.
            source.Abandon();
            throw;
        }
    }

    private async Task WriteBlocksAsync(S3ResumableReadStream source, ArchiveBlockReader blocks, Stream stdin, Action<long, long, double>? progress,
        IReadOnlySet<int>? restoring, CancellationToken ct)
    {
        var report = EverySecond(progress, source);
        long before = 0;
        var toc = new ArchiveBlock(0, 0, blocks.TocEnd, blocks.TocSha256);
        foreach (var (block, entry) in blocks.InFileOrder(_archive).Prepend((toc, (TocEntry?)null)))
        {
            var what = entry is null ? $"{_location}: the header and TOC" : $"{_location}: the data of {entry.Type} {entry.QualifiedName}";
            await using var part = new LengthLimitedStream(source, block.Length);
            long sent = before;
            bool reading;
            try
            {
                reading = entry is not null && restoring is not null && !restoring.Contains(entry.DumpId)
                    ? await PassAsync(part, stdin, n => report(sent + n), ct).ConfigureAwait(false)
                    : await VerifiedBlockCopy.CopyAsync(part, stdin, block, what, n => report(sent + n), ct).ConfigureAwait(false);
            }
            catch (PgPhaseException ex) when (ex.Code == PgPhaseErrorCode.DamagedArchive)
            {
                DamagedEntry = entry;
                throw;
            }
            if (!reading)
            {
                // pg_restore has read all it needs (or failed; its exit code says which).
                _log?.Invoke($"{_location}: pg_restore stopped reading within bytes {block.Offset}-{block.End - 1} of {source.Length}; every block it restored before them matched its SHA-256");
                return;
            }
            before += block.Length;
        }
        _log?.Invoke($"{_location}: the TOC and every data block restored match the manifest's SHA-256");
    }

    /// <summary>Hands <paramref name="progress"/> the bytes sent so far, the object's size and the rate, at most once a second.</summary>
    private static Action<long> EverySecond(Action<long, long, double>? progress, Stream source)
    {
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        return done =>
        {
            if (progress is null || clock.Elapsed - lastReport < TimeSpan.FromSeconds(1))
                return;
            lastReport = clock.Elapsed;
            progress(done, source.Length, done / clock.Elapsed.TotalSeconds);
        };
    }

    /// <summary>A block pg_restore only reads over, copied as it is; false when pg_restore stopped reading.</summary>
    private static async Task<bool> PassAsync(Stream part, Stream stdin, Action<long> progress, CancellationToken ct)
    {
        var buffer = new byte[256 * 1024];
        long total = 0;
        int n;
        while ((n = await part.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (!await VerifiedBlockCopy.TryWriteAsync(stdin, buffer.AsMemory(0, n), ct).ConfigureAwait(false))
                return false;
            progress(total += n);
        }
        return true;
    }
}
