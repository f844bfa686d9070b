namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// The custom format's grammar as far as a map of its data blocks needs it (pg_backup_custom.c,
/// pg_backup_archiver.c): the header, the TOC (each entry ending with an offset whose flag says whether the entry has
/// data), then per entry with data one block: a type byte (1 table data, 3 large objects), the dump id, then chunks
/// (an Int length and that many bytes) ended by a zero length; a large-object block holds per object its OID and
/// such chunks, ended by OID 0. Each step yields what it waits for (<see cref="ScanNeed"/>) and reads it from the
/// scratch buffer <see cref="ArchiveBlockScanner"/> fills; what it does not understand throws.
/// </summary>
internal sealed class CustomArchiveGrammar
{
    private const byte TableDataBlock = 1;
    private const byte LargeObjectBlock = 3;

    private readonly byte[] _scratch;
    private readonly Func<long> _segmentStart;
    private readonly Action<int> _blockFound;
    private readonly Dictionary<int, long?> _declared = [];
    private readonly HashSet<int> _seen = [];

    /// <param name="scratch">Where the scanner gathers the bytes each step asked for.</param>
    /// <param name="segmentStart">Where the block being read starts.</param>
    /// <param name="blockFound">Told the dump id of the block being read, once its header says.</param>
    public CustomArchiveGrammar(byte[] scratch, Func<long> segmentStart, Action<int> blockFound)
    {
        _scratch = scratch;
        _segmentStart = segmentStart;
        _blockFound = blockFound;
    }

    /// <summary>The same grammar from a data block of <paramref name="archive"/> on, its TOC already read.</summary>
    public CustomArchiveGrammar(DumpArchive archive, byte[] scratch, Func<long> segmentStart, Action<int> blockFound)
        : this(scratch, segmentStart, blockFound)
    {
        (IntSize, OffsetSize) = (archive.Header.IntSize, archive.Header.OffsetSize);
        foreach (var entry in archive.Entries.Where(e => e.DataState is DataState.Offset or DataState.OffsetNotSet))
            _declared[entry.DumpId] = entry.DataOffset;
    }

    /// <summary>The archive's integer size, from its header.</summary>
    public int IntSize { get; private set; } = 4;

    /// <summary>The archive's offset size, from its header.</summary>
    public int OffsetSize { get; private set; } = 8;

    /// <summary>What is being read, for messages.</summary>
    public string Context { get; private set; } = "header";

    /// <summary>The dump ids whose data the TOC announces and no block has held so far.</summary>
    public IEnumerable<int> Missing => _declared.Keys.Where(id => !_seen.Contains(id));

    private ScanNeed Int => ScanNeed.Bytes(1 + IntSize);

    /// <summary>The archive's grammar, as far as a map needs it; each yield waits for what it asks.</summary>
    public IEnumerable<ScanNeed> Archive()
    {
        yield return ScanNeed.Boundary;
        yield return ScanNeed.Bytes(11);
        if (!_scratch.AsSpan(0, 5).SequenceEqual("PGDMP"u8))
            throw new FormatException("no PGDMP signature: not a custom-format archive");
        var version = new ArchiveVersion(_scratch[5], _scratch[6], _scratch[7]);
        if (version < ArchiveVersion.OldestSupported || version > ArchiveVersion.NewestSupported)
            throw new FormatException($"archive version {version} is not one this scanner knows");
        (IntSize, OffsetSize) = (_scratch[8], _scratch[9]);
        if (IntSize is < 1 or > 8 || OffsetSize is < 1 or > 8)
            throw new FormatException($"integer size {IntSize} or offset size {OffsetSize} is not supported");
        if (_scratch[10] != (byte)ArchiveFormat.Custom)
            throw new FormatException($"format code {_scratch[10]} is not the custom format");
        yield return version >= ArchiveVersion.V1_15 ? ScanNeed.Bytes(1) : Int;
        for (int i = 0; i < 7; i++)
            yield return Int;
        foreach (var need in Strings(3))
            yield return need;

        Context = "the TOC entry count";
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

    public IEnumerable<ScanNeed> DataBlocks()
    {
        while (true)
            foreach (var need in DataBlock())
                yield return need;
    }

    /// <summary>One TOC entry: only its dump id and data offset matter, the rest is passed over.</summary>
    private IEnumerable<ScanNeed> TocEntry(ArchiveVersion version, long index, long count)
    {
        Context = $"TOC entry {index + 1} of {count}";
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
                yield return ScanNeed.Skip(length);
        }
        yield return ScanNeed.Bytes(1 + OffsetSize);
        byte flag = _scratch[0];
        ulong offset = 0;
        for (int i = 0; i < OffsetSize; i++)
            offset |= (ulong)_scratch[1 + i] << (8 * i);
        // 1: position not set, 2: set, 3: no data.
        if (flag is not (1 or 2 or 3))
            throw new FormatException($"data offset flag {flag} is unknown");
        if (flag != 3 && !_declared.TryAdd((int)dumpId, flag == 2 ? (long)offset : null))
            throw new FormatException($"dump id {dumpId} appears twice in the TOC");
    }

    private IEnumerable<ScanNeed> DataBlock()
    {
        Context = "the start of a data block";
        yield return ScanNeed.Boundary;
        yield return ScanNeed.Bytes(1);
        byte type = _scratch[0];
        if (type is not (TableDataBlock or LargeObjectBlock))
            throw new FormatException($"data block type {type} is unknown");
        yield return Int;
        long id = ReadInt();
        if (id is <= 0 or > int.MaxValue || !_declared.TryGetValue((int)id, out var announced))
            throw new FormatException($"a data block names dump id {id}, which the TOC gives no data");
        if (!_seen.Add((int)id) || (announced is { } at && at != _segmentStart()))
            throw new FormatException($"the block of dump id {id} is not where the TOC puts it");
        _blockFound((int)id);
        Context = $"the data block of dump id {id}";
        if (type == TableDataBlock)
        {
            yield return ScanNeed.Chunks;
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
            yield return ScanNeed.Chunks;
        }
    }

    /// <summary>Str fields passed over: an Int length (-1 for NULL), then that many bytes.</summary>
    private IEnumerable<ScanNeed> Strings(int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return Int;
            long length = ReadInt();
            if (length < -1)
                throw new FormatException($"string length {length} is impossible");
            if (length > 0)
                yield return ScanNeed.Skip(length);
        }
    }

    /// <summary>The Int just gathered: a sign byte, then the magnitude, least significant byte first.</summary>
    public long ReadInt()
    {
        byte sign = _scratch[0];
        if (sign > 1)
            throw new FormatException($"an integer has sign byte {sign}");
        ulong value = 0;
        for (int i = 0; i < IntSize; i++)
            value |= (ulong)_scratch[1 + i] << (8 * i);
        if (value > long.MaxValue)
            throw new FormatException("an integer does not fit in 64 bits");
        return sign == 1 ? -(long)value : (long)value;
    }
}
