using System.Security.Cryptography;

namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// Watches a custom-format archive go by as pg_dump writes it and maps its data blocks (<see cref="ArchiveBlockMap"/>).
/// pg_dump writing to a pipe cannot go back to fill in the TOC's data offsets; this map stands in for them.
/// </summary>
/// <remarks>
/// Passive: it is shown each byte once, holds at most one primitive (a few bytes) of the archive, and never fails
/// what it watches. Whatever it does not understand ends the scan: <see cref="Problem"/> says what, and there is no map.
/// The layout (pg_backup_custom.c, pg_backup_archiver.c): the header, the TOC (each entry ending with an offset whose
/// flag says whether the entry has data), then per entry with data one block: a type byte (1 table data, 3 large
/// objects), the dump id, then chunks (an Int length and that many bytes) ended by a zero length; a large-object
/// block holds per object its OID and such chunks, ended by OID 0.
/// Started at a data block of a local file instead (<see cref="FromDataBlock"/>), it hashes nothing, so whoever
/// feeds it may seek over what it would only pass by (<see cref="Skippable"/>, <see cref="Skipped"/>): the blocks'
/// headers and chunk lengths are read, their data never.
/// </remarks>
internal sealed class ArchiveBlockScanner
{
    private const byte TableDataBlock = 1;
    private const byte LargeObjectBlock = 3;
    private const int NoSegment = -1;

    private readonly IEnumerator<Need> _parser;
    private readonly byte[] _scratch = new byte[16];
    private readonly List<ArchiveBlock> _blocks = [];
    private readonly Dictionary<int, long?> _declared = [];
    private readonly HashSet<int> _seen = [];
    private readonly bool _hashing = true;
    private bool _inSegment;
    private int _have;
    private long _skipLeft;
    private long _position;
    private IncrementalHash? _hash;
    private long _segmentStart;
    private int _segmentId = NoSegment;
    private long _tocEnd = -1;
    private string _tocSha256 = "";
    private int _intSize = 4;
    private int _offSize = 8;
    private string _context = "header";
    private bool _stopped;

    public ArchiveBlockScanner()
    {
        _parser = Parse().GetEnumerator();
        _parser.MoveNext();
    }

    private ArchiveBlockScanner(DumpArchive archive, long at)
    {
        (_hashing, _intSize, _offSize) = (false, archive.Header.IntSize, archive.Header.OffsetSize);
        foreach (var entry in archive.Entries.Where(e => e.DataState is DataState.Offset or DataState.OffsetNotSet))
            _declared[entry.DumpId] = entry.DataOffset;
        (_position, _segmentStart, _tocEnd) = (at, at, archive.TocEndOffset);
        _parser = DataBlocks().GetEnumerator();
        _parser.MoveNext();
    }

    /// <summary>
    /// A scanner of the data blocks of <paramref name="archive"/> (a custom archive whose TOC was read) from byte
    /// <paramref name="at"/>, where a block starts: the end of the TOC, or an offset the TOC gives.
    /// </summary>
    public static ArchiveBlockScanner FromDataBlock(DumpArchive archive, long at) => new(archive, at);

    /// <summary>The blocks seen whole so far, in file order.</summary>
    public IReadOnlyList<ArchiveBlock> Blocks => _blocks;

    /// <summary>Where the block being read starts and, once its header says, its dump id; null between blocks.</summary>
    public (long Offset, int? DumpId)? OpenBlock =>
        _inSegment && _tocEnd >= 0 && !(_parser.Current.Kind == NeedKind.Bytes && _have == 0 && _segmentStart == _position)
            ? (_segmentStart, _segmentId == NoSegment ? null : _segmentId) : null;

    /// <summary>
    /// How many of the next bytes the scanner would only pass by (chunk data, a skipped field), and so whoever feeds
    /// it may seek over; always 0 while it hashes what it sees.
    /// </summary>
    public long Skippable => _hashing || _stopped ? 0
        : _parser.Current.Kind is NeedKind.Skip || (_parser.Current.Kind is NeedKind.Chunks && _have == 0) ? _skipLeft : 0;

    /// <summary>The feeder sought over the next <paramref name="count"/> bytes (at most <see cref="Skippable"/>): they are passed by unseen.</summary>
    public void Skipped(long count)
    {
        if (count <= 0 || _stopped)
            return;
        if (count > Skippable)
            throw new InvalidOperationException($"the scanner can pass over {Skippable} bytes here, not {count}");
        _position += count;
        _skipLeft -= count;
        // A field passed by whole lets the parser go on; a chunk goes on with the next bytes shown.
        Append([]);
    }

    /// <summary>Why there is no map: what was not understood, and where.</summary>
    public string? Problem { get; private set; }

    /// <summary>Bytes seen so far.</summary>
    public long Position => _position;

    /// <summary>The next bytes of the archive, in order.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (_stopped)
            return;
        try
        {
            Consume(data);
        }
        catch (Exception ex)
        {
            // Whatever goes wrong here, the backup it watches goes on: this only means no map.
            Stop($"{ex.Message} (at byte {_position}, reading {_context})");
        }
    }

    /// <summary>The archive has ended: the map, or null (then <see cref="Problem"/> says why).</summary>
    public ArchiveBlockMap? Finish()
    {
        if (_stopped)
            return null;
        var need = _parser.Current;
        if (need.Kind != NeedKind.Bytes || _have != 0 || _segmentStart != _position || _tocEnd < 0)
        {
            Stop($"the archive ended at byte {_position} in the middle of {_context}");
            return null;
        }
        var missing = _declared.Keys.Where(id => !_seen.Contains(id)).ToList();
        if (missing.Count > 0)
        {
            Stop($"the TOC announces data for dump id {missing[0]} but no block holds it");
            return null;
        }
        _stopped = true;
        _hash?.Dispose();
        return new ArchiveBlockMap { TocEnd = _tocEnd, TocSha256 = _tocSha256, Blocks = _blocks.ToList() };
    }

    private void Stop(string problem)
    {
        Problem ??= problem;
        _stopped = true;
        _hash?.Dispose();
        _hash = null;
    }

    private enum NeedKind
    {
        /// <summary>Count bytes into the scratch buffer.</summary>
        Bytes,

        /// <summary>Count bytes passed over.</summary>
        Skip,

        /// <summary>A new segment (the TOC, or a block) starts at the current position.</summary>
        Boundary,

        /// <summary>Length-prefixed chunks up to a zero length.</summary>
        Chunks,
    }

    private readonly record struct Need(NeedKind Kind, long Count);

    private void Consume(ReadOnlySpan<byte> data)
    {
        int i = 0, hashFrom = 0;
        while (!_stopped)
        {
            var need = _parser.Current;
            if (need.Kind == NeedKind.Boundary)
            {
                _hash?.AppendData(data[hashFrom..i]);
                hashFrom = i;
                CloseSegment();
            }
            else if (need.Kind == NeedKind.Skip && _skipLeft == 0)
            {
                // Sought over by the feeder (Skipped).
            }
            else if (i == data.Length)
                break;
            else if (!(need.Kind switch
                     {
                         NeedKind.Bytes => Gather(data, ref i, (int)need.Count),
                         NeedKind.Skip => Pass(data, ref i),
                         _ => PassChunks(data, ref i),
                     }))
                break;
            if (!_parser.MoveNext())
                throw new InvalidOperationException("the scanner's parser ended");
            if (_parser.Current.Kind == NeedKind.Skip)
                _skipLeft = _parser.Current.Count;
        }
        if (!_stopped)
            _hash?.AppendData(data[hashFrom..i]);
    }

    /// <summary>Gathers <paramref name="count"/> bytes into the scratch buffer; true once they are all there.</summary>
    private bool Gather(ReadOnlySpan<byte> data, ref int i, int count)
    {
        int take = Math.Min(count - _have, data.Length - i);
        data.Slice(i, take).CopyTo(_scratch.AsSpan(_have));
        _have += take;
        i += take;
        _position += take;
        if (_have < count)
            return false;
        _have = 0;
        return true;
    }

    /// <summary>Passes over the bytes of a skip; true once it is done.</summary>
    private bool Pass(ReadOnlySpan<byte> data, ref int i)
    {
        int take = (int)Math.Min(_skipLeft, data.Length - i);
        i += take;
        _position += take;
        _skipLeft -= take;
        return _skipLeft == 0;
    }

    /// <summary>
    /// Passes over length-prefixed chunks up to a zero length; true once that is read. The hot path (an
    /// uncompressed dump has one chunk per row), so it runs here rather than through the parser.
    /// </summary>
    private bool PassChunks(ReadOnlySpan<byte> data, ref int i)
    {
        while (i < data.Length)
        {
            if (_skipLeft > 0)
            {
                Pass(data, ref i);
                continue;
            }
            if (!Gather(data, ref i, 1 + _intSize))
                return false;
            long length = ReadInt();
            if (length == 0)
                return true;
            // pg_dump's chunks hold at most one buffer of (compressed) rows; beyond 2 GiB the length is damage.
            if (length is < 0 or > int.MaxValue)
                throw new FormatException($"chunk length {length} is impossible");
            _skipLeft = length;
        }
        return false;
    }

    /// <summary>Ends the segment before the current position (the TOC, or the previous block) and starts the next.</summary>
    private void CloseSegment()
    {
        if (_inSegment)
        {
            var sha = _hash is null ? "" : Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();
            if (_tocEnd < 0)
                (_tocEnd, _tocSha256) = (_position, sha);
            else
                _blocks.Add(new ArchiveBlock(_segmentId, _segmentStart, _position - _segmentStart, sha));
        }
        if (_hashing)
            _hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        _inSegment = true;
        _segmentStart = _position;
        _segmentId = NoSegment;
    }

    private static Need Bytes(int count) => new(NeedKind.Bytes, count);

    private Need Int => Bytes(1 + _intSize);

    private static Need Skip(long count) => new(NeedKind.Skip, count);

    private static readonly Need Boundary = new(NeedKind.Boundary, 0);

    private static readonly Need Chunks = new(NeedKind.Chunks, 0);

    /// <summary>The archive's grammar, as far as a map needs it; each yield waits for what it asks.</summary>
    private IEnumerable<Need> Parse()
    {
        yield return Boundary;
        yield return Bytes(11);
        if (!_scratch.AsSpan(0, 5).SequenceEqual("PGDMP"u8))
            throw new FormatException("no PGDMP signature: not a custom-format archive");
        var version = new ArchiveVersion(_scratch[5], _scratch[6], _scratch[7]);
        if (version < ArchiveVersion.OldestSupported || version > ArchiveVersion.NewestSupported)
            throw new FormatException($"archive version {version} is not one this scanner knows");
        (_intSize, _offSize) = (_scratch[8], _scratch[9]);
        if (_intSize is < 1 or > 8 || _offSize is < 1 or > 8)
            throw new FormatException($"integer size {_intSize} or offset size {_offSize} is not supported");
        if (_scratch[10] != (byte)ArchiveFormat.Custom)
            throw new FormatException($"format code {_scratch[10]} is not the custom format");
        yield return version >= ArchiveVersion.V1_15 ? Bytes(1) : Int;
        for (int i = 0; i < 7; i++)
            yield return Int;
        foreach (var need in Strings(3))
            yield return need;

        _context = "the TOC entry count";
        yield return Int;
        long count = ReadInt();
        if (count is < 0 or > 50_000_000)
            throw new FormatException($"TOC entry count {count} is impossible");
        for (long n = 0; n < count; n++)
            foreach (var need in TocEntry(version, n, count))
                yield return need;

        foreach (var need in DataBlocks())
            yield return need;
    }

    private IEnumerable<Need> DataBlocks()
    {
        while (true)
            foreach (var need in DataBlock())
                yield return need;
    }

    /// <summary>One TOC entry: only its dump id and data offset matter, the rest is passed over.</summary>
    private IEnumerable<Need> TocEntry(ArchiveVersion version, long index, long count)
    {
        _context = $"TOC entry {index + 1} of {count}";
        yield return Int;
        long dumpId = ReadInt();
        if (dumpId is <= 0 or > int.MaxValue)
            throw new FormatException($"dump id {dumpId} is out of range");
        // hadDumper, tableoid, oid, tag, desc, section, defn, dropStmt, copyStmt, namespace, tablespace
        yield return Int;
        foreach (var need in Strings(4))
            yield return need;
        yield return Int;
        foreach (var need in Strings(5))
            yield return need;
        if (version >= ArchiveVersion.V1_14)
            foreach (var need in Strings(1))
                yield return need;
        if (version >= ArchiveVersion.V1_16)
            yield return Int;
        // owner, "with oids", then dependencies up to a NULL string
        foreach (var need in Strings(2))
            yield return need;
        while (true)
        {
            yield return Int;
            long length = ReadInt();
            if (length == -1)
                break;
            if (length < 0)
                throw new FormatException($"dependency length {length} is impossible");
            if (length > 0)
                yield return Skip(length);
        }
        yield return Bytes(1 + _offSize);
        byte flag = _scratch[0];
        ulong offset = 0;
        for (int i = 0; i < _offSize; i++)
            offset |= (ulong)_scratch[1 + i] << (8 * i);
        // 1: position not set, 2: set, 3: no data.
        if (flag is not (1 or 2 or 3))
            throw new FormatException($"data offset flag {flag} is unknown");
        if (flag != 3 && !_declared.TryAdd((int)dumpId, flag == 2 ? (long)offset : null))
            throw new FormatException($"dump id {dumpId} appears twice in the TOC");
    }

    private IEnumerable<Need> DataBlock()
    {
        _context = "the start of a data block";
        yield return Boundary;
        yield return Bytes(1);
        byte type = _scratch[0];
        if (type is not (TableDataBlock or LargeObjectBlock))
            throw new FormatException($"data block type {type} is unknown");
        yield return Int;
        long id = ReadInt();
        if (id is <= 0 or > int.MaxValue || !_declared.TryGetValue((int)id, out var announced))
            throw new FormatException($"a data block names dump id {id}, which the TOC gives no data");
        if (!_seen.Add((int)id) || (announced is { } at && at != _segmentStart))
            throw new FormatException($"the block of dump id {id} is not where the TOC puts it");
        _segmentId = (int)id;
        _context = $"the data block of dump id {id}";
        if (type == TableDataBlock)
        {
            yield return Chunks;
            yield break;
        }
        while (true)
        {
            yield return Int;
            long oid = ReadInt();
            if (oid == 0)
                break;
            if (oid is < 0 or > uint.MaxValue)
                throw new FormatException($"large object OID {oid} is impossible");
            yield return Chunks;
        }
    }

    /// <summary>Str fields passed over: an Int length (-1 for NULL), then that many bytes.</summary>
    private IEnumerable<Need> Strings(int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return Int;
            long length = ReadInt();
            if (length < -1)
                throw new FormatException($"string length {length} is impossible");
            if (length > 0)
                yield return Skip(length);
        }
    }

    /// <summary>The Int just gathered: a sign byte, then the magnitude, least significant byte first.</summary>
    private long ReadInt()
    {
        byte sign = _scratch[0];
        if (sign > 1)
            throw new FormatException($"an integer has sign byte {sign}");
        ulong value = 0;
        for (int i = 0; i < _intSize; i++)
            value |= (ulong)_scratch[1 + i] << (8 * i);
        if (value > long.MaxValue)
            throw new FormatException("an integer does not fit in 64 bits");
        return sign == 1 ? -(long)value : (long)value;
    }
}
