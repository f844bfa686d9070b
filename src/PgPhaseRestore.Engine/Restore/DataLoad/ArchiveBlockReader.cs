using System.Security.Cryptography;
using Amazon.S3;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Feeds pg_restore chosen data blocks of a custom archive as an archive of their own: the header and TOC (read
/// once and checked against the map), then each block, checked against its SHA-256. pg_restore reading standard
/// input finds no offsets in the TOC and reads forward to the block it wants, so the TOC and the blocks it
/// restores, in file order, are all it needs. The bytes come from an object in a bucket (ranged GETs, resumed
/// where they broke off) or from a local file written through a pipe, whose map was made by reading it once.
/// </summary>
internal sealed class ArchiveBlockReader
{
    private readonly Func<long, long, Stream> _openRange;
    private readonly ArchiveBlockMap _map;
    private readonly Dictionary<int, ArchiveBlock> _byId;
    private readonly string _rangeRead;
    private readonly object _gate = new();
    private Task<byte[]>? _toc;

    private ArchiveBlockReader(string location, Func<long, long, Stream> openRange, ArchiveBlockMap map, string rangeRead)
    {
        Location = location;
        _openRange = openRange;
        _map = map;
        _byId = map.Blocks.ToDictionary(b => b.DumpId);
        _rangeRead = rangeRead;
    }

    /// <summary>Blocks of an object in a bucket, each by a ranged GET resumed where it broke off.</summary>
    public static ArchiveBlockReader FromBucket(IAmazonS3 client, S3ObjectLocation location, ArchiveBlockMap map, int retries, Action<string>? log) =>
        new(location.ToString(), (offset, length) => new S3ResumableReadStream(client, location, retries, log, offset, length), map, "ranged GET");

    /// <summary>Blocks of a local file, each read from its own offset.</summary>
    public static ArchiveBlockReader FromFile(string path, ArchiveBlockMap map) =>
        new(path, (offset, length) =>
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            file.Seek(offset, SeekOrigin.Begin);
            return new LengthLimitedStream(file, length, ownsInner: true);
        }, map, "read at its offset");

    /// <summary>The archive, for messages.</summary>
    public string Location { get; }

    /// <summary>Where the header and TOC end.</summary>
    public long TocEnd => _map.TocEnd;

    /// <summary>The SHA-256 of the header and TOC, as the map records it.</summary>
    public string TocSha256 => _map.TocSha256;

    /// <summary>Every block, in file order, with its entry.</summary>
    public IEnumerable<(ArchiveBlock Block, TocEntry? Entry)> InFileOrder(DumpArchive archive) =>
        _map.Blocks.OrderBy(b => b.Offset).Select(b => (b, archive.FindByDumpId(b.DumpId)));

    public ArchiveBlock? BlockOf(int dumpId) => _byId.GetValueOrDefault(dumpId);

    /// <summary>Each entry's data as stored (compressed), by dump id.</summary>
    public Dictionary<int, long> Sizes() => _map.Blocks.ToDictionary(b => b.DumpId, b => b.Length);

    /// <summary>What a feed of <paramref name="entries"/> reads, for debug output.</summary>
    public string Describe(IEnumerable<TocEntry> entries) =>
        $"bytes 0-{TocEnd - 1} of {Location} (its TOC, fetched once)" + string.Concat(entries.Select(e => BlockOf(e.DumpId)).OfType<ArchiveBlock>()
            .Select(b => $" + bytes {b.Offset}-{b.End - 1} ({_rangeRead})"));

    /// <summary>
    /// Writes the TOC, then the blocks of <paramref name="entries"/> in the order given (file order), each verified.
    /// Returns when pg_restore stops reading; <paramref name="progress"/> gets the block bytes sent so far.
    /// </summary>
    public async Task WriteAsync(Stream stdin, IReadOnlyList<TocEntry> entries, Action<long>? progress, CancellationToken ct)
    {
        if (!await VerifiedBlockCopy.TryWriteAsync(stdin, await TocAsync(ct).ConfigureAwait(false), ct).ConfigureAwait(false))
            return;
        long before = 0;
        foreach (var entry in entries)
        {
            if (BlockOf(entry.DumpId) is not { } block)
                continue;
            await using var source = _openRange(block.Offset, block.Length);
            long sent = before;
            if (!await VerifiedBlockCopy.CopyAsync(source, stdin, block, $"{Location}: the data of {entry.Type} {entry.QualifiedName}",
                    n => progress?.Invoke(sent + n), ct).ConfigureAwait(false))
                return;
            before += block.Length;
        }
    }

    /// <summary>The header and TOC, fetched once and checked against the map: a changed TOC is refused before it is used.</summary>
    public Task<byte[]> TocAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_toc is null || _toc.IsFaulted || _toc.IsCanceled)
                _toc = FetchTocAsync(ct);
            return _toc;
        }
    }

    private async Task<byte[]> FetchTocAsync(CancellationToken ct)
    {
        var toc = new byte[checked((int)TocEnd)];
        await using (var source = _openRange(0, TocEnd))
            await source.ReadExactlyAsync(toc, ct).ConfigureAwait(false);
        var digest = Convert.ToHexString(SHA256.HashData(toc)).ToLowerInvariant();
        if (!string.Equals(digest, _map.TocSha256, StringComparison.OrdinalIgnoreCase))
            throw new PgPhaseException($"{Location}: the header and TOC (bytes 0-{TocEnd - 1}) have SHA-256 {digest} but its map says {_map.TocSha256}; " +
                                       "the archive changed or was damaged after the backup", PgPhaseErrorCode.DamagedArchive);
        return toc;
    }
}
