using System.Security.Cryptography;
using Amazon.S3;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Feeds pg_restore chosen data blocks of an archive in a bucket as an archive of their own: the object's header
/// and TOC (one ranged GET, made once and checked against the manifest), then each block by a ranged GET of its
/// own, checked against its SHA-256. pg_restore reading standard input finds no offsets in the TOC and reads
/// forward to the block it wants, so the TOC and the blocks it restores, in file order, are all it needs.
/// </summary>
internal sealed class BucketBlockReader
{
    private readonly IAmazonS3 _client;
    private readonly ArchiveBlockMap _map;
    private readonly Dictionary<int, ArchiveBlock> _byId;
    private readonly int _retries;
    private readonly Action<string>? _log;
    private readonly object _gate = new();
    private Task<byte[]>? _toc;

    public BucketBlockReader(IAmazonS3 client, S3ObjectLocation location, ArchiveBlockMap map, int retries, Action<string>? log)
    {
        _client = client;
        Location = location;
        _map = map;
        _byId = map.Blocks.ToDictionary(b => b.DumpId);
        _retries = retries;
        _log = log;
    }

    public S3ObjectLocation Location { get; }

    /// <summary>Where the header and TOC end.</summary>
    public long TocEnd => _map.TocEnd;

    public ArchiveBlock? BlockOf(int dumpId) => _byId.GetValueOrDefault(dumpId);

    /// <summary>Each entry's data as stored (compressed), by dump id.</summary>
    public Dictionary<int, long> Sizes() => _map.Blocks.ToDictionary(b => b.DumpId, b => b.Length);

    /// <summary>What a feed of <paramref name="entries"/> reads, for debug output.</summary>
    public string Describe(IEnumerable<TocEntry> entries) =>
        $"bytes 0-{TocEnd - 1} of {Location} (its TOC, fetched once)" + string.Concat(entries.Select(e => BlockOf(e.DumpId)).OfType<ArchiveBlock>()
            .Select(b => $" + bytes {b.Offset}-{b.End - 1} (ranged GET)"));

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
            await using var source = new S3ResumableReadStream(_client, Location, _retries, _log, block.Offset, block.Length);
            long sent = before;
            if (!await VerifiedBlockCopy.CopyAsync(source, stdin, block, $"{Location}: the data of {entry.Type} {entry.QualifiedName}",
                    n => progress?.Invoke(sent + n), ct).ConfigureAwait(false))
                return;
            before += block.Length;
        }
    }

    private Task<byte[]> TocAsync(CancellationToken ct)
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
        await using (var source = new S3ResumableReadStream(_client, Location, _retries, _log, 0, TocEnd))
            await source.ReadExactlyAsync(toc, ct).ConfigureAwait(false);
        var digest = Convert.ToHexString(SHA256.HashData(toc)).ToLowerInvariant();
        if (!string.Equals(digest, _map.TocSha256, StringComparison.OrdinalIgnoreCase))
            throw new RestoreException($"{Location}: the header and TOC (bytes 0-{TocEnd - 1}) have SHA-256 {digest} but the manifest says {_map.TocSha256}; " +
                                       "the archive changed or was damaged after the backup");
        return toc;
    }
}
