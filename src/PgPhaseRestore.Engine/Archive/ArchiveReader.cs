using System.Text;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// Reads the header and table of contents of a pg_dump archive (custom, directory or tar; archive 1.12 to 1.16)
/// without reading its data: only the bytes up to the end of the TOC are consumed.
/// </summary>
public static class ArchiveReader
{
    private static readonly byte[] Magic = "PGDMP"u8.ToArray();

    /// <summary>Opens a location (file, directory or s3:// URI), reads its TOC and closes it again.</summary>
    public static Task<DumpArchive> ReadAsync(ArchiveLocation location, CancellationToken cancellationToken = default) =>
        ReadAsync(location, null, cancellationToken);

    /// <summary>As <see cref="ReadAsync(ArchiveLocation, CancellationToken)"/>, telling <paramref name="debug"/> how many bytes the TOC took to read.</summary>
    public static Task<DumpArchive> ReadAsync(ArchiveLocation location, Action<string>? debug, CancellationToken cancellationToken = default) =>
        PgPhaseErrors.AtBoundaryAsync(() => ReadCoreAsync(location, debug, cancellationToken));

    private static async Task<DumpArchive> ReadCoreAsync(ArchiveLocation location, Action<string>? debug, CancellationToken cancellationToken)
    {
        using var source = ArchiveSources.Open(location);
        var archive = await ReadAsync(source, cancellationToken).ConfigureAwait(false);
        debug?.Invoke($"{location}: {source.BytesTransferred} bytes read for a TOC of {archive.Entries.Count} entries");
        return archive;
    }

    internal static async Task<DumpArchive> ReadAsync(IArchiveSource source, CancellationToken cancellationToken = default)
    {
        await using var stream = await source.OpenTocStreamAsync(cancellationToken).ConfigureAwait(false);
        // Parsing is synchronous over a buffered stream. A local TOC is read in milliseconds, on the caller's thread
        // (a hop to the thread pool costs a loop over many archives more than the read); a bucket's may wait on the network.
        if (source.Kind != ArchiveSourceKind.S3Object)
            return Read(stream, source);
        return await Task.Run(() => Read(stream, source), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads from a stream positioned at the start of the archive file (or toc.dat for a directory).</summary>
    internal static DumpArchive Read(Stream stream, IArchiveSource source)
    {
        var buffered = stream as BufferedStream ?? new BufferedStream(stream, 64 * 1024);
        var prefix = new byte[TarHeader.BlockSize];
        int got = ReadUpTo(buffered, prefix);
        var name = source.TocFileDescription;

        if (got >= Magic.Length && prefix.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            var expected = source.Kind == ArchiveSourceKind.Directory ? ArchiveFormat.Directory : ArchiveFormat.Custom;
            var joined = new ConcatenatedStream(new MemoryStream(prefix, 0, got), buffered);
            return Parse(new ArchiveCursor(joined, name), source, expected);
        }

        if (source.Kind != ArchiveSourceKind.Directory && got == TarHeader.BlockSize && ReadTarTocHeader(prefix, name) is { } memberSize)
        {
            // pg_dump's tar archives begin with toc.dat; its bytes follow the first 512-byte header.
            var member = new LengthLimitedStream(buffered, memberSize);
            return Parse(new ArchiveCursor(member, name, TarHeader.BlockSize), source, ArchiveFormat.Tar);
        }

        if (got == 0)
            throw PgPhaseException.Format(name, 0, "not a pg_dump archive: the file is empty");
        if (got < Magic.Length)
            throw PgPhaseException.Format(name, got, $"not a pg_dump archive: the file holds only {got} bytes");
        throw PgPhaseException.Format(name, 0,
            "not a pg_dump archive: no \"PGDMP\" signature and no tar header for toc.dat (plain SQL dumps are read by psql, not pg_restore)");
    }

    private static DumpArchive Parse(ArchiveCursor c, IArchiveSource source, ArchiveFormat format)
    {
        var header = ReadHeader(c, format);
        c.Context = "TOC entry count";
        long count = c.ReadInt("TOC entry count");
        if (count is < 0 or > 50_000_000)
            throw c.Error($"TOC entry count {count} is impossible (damaged data)");

        var entries = new List<TocEntry>((int)count);
        for (int i = 0; i < count; i++)
            entries.Add(ReadEntry(c, header, i, (int)count));

        return new DumpArchive(source.Location, header, entries, c.FileOffset);
    }

    private static ArchiveHeader ReadHeader(ArchiveCursor c, ArchiveFormat format)
    {
        c.Context = "header";
        Span<byte> magic = stackalloc byte[5];
        c.ReadExactly(magic, "signature");
        var version = ReadVersion(c);
        int intSize = c.IntSize = ReadSize(c, "integer size", 4);
        int offSize = c.OffsetSize = ReadSize(c, "offset size", 8);
        CheckFormat(c, format);
        var (algorithm, level) = ReadCompression(c, version);
        var created = ReadCreated(c);
        return new ArchiveHeader
        {
            Format = format,
            Version = version,
            IntSize = intSize,
            OffsetSize = offSize,
            Compression = algorithm,
            CompressionLevel = level,
            CreatedAt = created.At,
            CreatedFields = created.Fields,
            DatabaseName = c.ReadString("database name"),
            ServerVersion = c.ReadString("server version"),
            PgDumpVersion = c.ReadString("pg_dump version"),
        };
    }

    private static ArchiveVersion ReadVersion(ArchiveCursor c)
    {
        var versionAt = c.FileOffset;
        var version = new ArchiveVersion(c.ReadByte("major version"), c.ReadByte("minor version"), c.ReadByte("revision"));
        if (ArchiveVersion.ImpossibleByte(version) is { } bad)
            throw c.Error($"damaged header: archive version {version} was never written by pg_dump and is not a plausible future one " +
                          $"(its {bad.Field} byte is {bad.Value}; pg_dump writes 1.x-0 and adds one minor version per release at most)", versionAt + bad.Index);
        if (version > ArchiveVersion.NewestSupported)
            throw c.Error($"archive version {version} is newer than the newest supported ({ArchiveVersion.NewestSupported}, pg_dump 17 and 18); use a newer PgPhaseRestore", 5);
        if (version < ArchiveVersion.OldestSupported)
            throw c.Error($"archive version {version} is older than the oldest supported ({ArchiveVersion.OldestSupported}, pg_dump 9.x)", 5);
        return version;
    }

    /// <summary>The byte width of the archive's integers or offsets (<paramref name="written"/> is what pg_dump writes).</summary>
    private static int ReadSize(ArchiveCursor c, string field, int written)
    {
        var at = c.FileOffset;
        int size = c.ReadByte(field);
        if (size is < 1 or > 8)
            throw c.Error($"{field} {size} is not supported (pg_dump writes {written}; 1 to 8 can be read)", at);
        return size;
    }

    private static void CheckFormat(ArchiveCursor c, ArchiveFormat format)
    {
        var formatAt = c.FileOffset;
        int formatByte = c.ReadByte("format");
        bool formatMatches = format switch
        {
            ArchiveFormat.Custom => formatByte == (int)ArchiveFormat.Custom,
            // toc.dat of both tar and directory archives records the tar code; accept the directory code as well.
            ArchiveFormat.Directory => formatByte is (int)ArchiveFormat.Tar or (int)ArchiveFormat.Directory,
            _ => formatByte == (int)ArchiveFormat.Tar,
        };
        if (!formatMatches)
            throw c.Error($"format code {formatByte} does not match a {format.ToString().ToLowerInvariant()} archive", formatAt);
    }

    /// <summary>The algorithm (archive 1.15+), or the zlib level older archives record (0: none).</summary>
    private static (CompressionAlgorithm Algorithm, int? Level) ReadCompression(ArchiveCursor c, ArchiveVersion version)
    {
        if (version < ArchiveVersion.V1_15)
        {
            int level = c.ReadInt32("compression level");
            return (level == 0 ? CompressionAlgorithm.None : CompressionAlgorithm.Gzip, level);
        }
        var at = c.FileOffset;
        int code = c.ReadByte("compression algorithm");
        if (!Enum.IsDefined(typeof(CompressionAlgorithm), code))
            throw c.Error($"compression algorithm code {code} is unknown", at);
        return ((CompressionAlgorithm)code, null);
    }

    private static (DateTime At, ArchiveCreationTime Fields) ReadCreated(ArchiveCursor c)
    {
        int sec = c.ReadInt32("creation second"), min = c.ReadInt32("creation minute"), hour = c.ReadInt32("creation hour");
        int mday = c.ReadInt32("creation day"), mon = c.ReadInt32("creation month"), year = c.ReadInt32("creation year");
        int isDst = c.ReadInt32("creation daylight-saving flag");
        try
        {
            return (new DateTime(year + 1900, mon + 1, mday, hour, min, Math.Min(sec, 59), DateTimeKind.Unspecified),
                new ArchiveCreationTime(sec, min, hour, mday, mon, year, isDst));
        }
        catch (ArgumentOutOfRangeException)
        {
            throw c.Error($"creation time {year + 1900}-{mon + 1}-{mday} {hour}:{min}:{sec} is impossible (damaged data)");
        }
    }

    private static TocEntry ReadEntry(ArchiveCursor c, ArchiveHeader header, int index, int count)
    {
        var entryStart = c.FileOffset;
        c.AtEntry(index, count);
        int dumpId = c.ReadInt32("dump id");
        if (dumpId <= 0)
            throw c.Error($"dump id {dumpId} is out of range (damaged TOC)", entryStart);
        c.AtEntry(index, count, dumpId);

        bool hadDumper = c.ReadInt("data-dumper flag") != 0;
        uint tableOid = ParseOid(c, c.ReadString("table oid"), "table oid");
        uint oid = ParseOid(c, c.ReadString("oid"), "oid");
        string? tag = c.ReadString("tag");
        string type = c.ReadString("type") ?? throw c.Error("entry has no type");
        c.AtEntry(index, count, dumpId, type, tag);

        var section = ReadSection(c);
        string? definition = c.ReadString("definition");
        string? drop = c.ReadString("drop statement");
        string? copy = c.ReadString("copy statement");
        string? schema = c.ReadString("schema");
        string? tablespace = c.ReadString("tablespace");
        string? tableAm = header.Version >= ArchiveVersion.V1_14 ? c.ReadString("table access method") : null;
        char? relKind = header.Version >= ArchiveVersion.V1_16 && c.ReadInt("relkind") is var code and not 0 ? (char)code : null;
        string? owner = c.ReadString("owner");
        c.ReadString("with-oids flag");
        var dependencies = ReadDependencies(c);
        var (state, offset, file) = ReadDataLocation(c, header.Format);

        if (type == "ENCODING" && definition is not null)
            c.TextEncoding = ServerEncoding.FromSetCommand(definition);

        return new TocEntry
        {
            DumpId = dumpId,
            HadDumper = hadDumper,
            TableOid = tableOid,
            Oid = oid,
            Type = type,
            Name = tag,
            Section = section,
            Schema = schema,
            Owner = owner,
            Tablespace = tablespace,
            TableAccessMethod = tableAm,
            RelKind = relKind,
            Definition = definition,
            DropStatement = drop,
            CopyStatement = copy,
            Dependencies = dependencies,
            DataState = state,
            DataOffset = offset,
            DataFile = file,
        };
    }

    private static TocSection ReadSection(ArchiveCursor c)
    {
        var sectionAt = c.FileOffset;
        int section = c.ReadInt32("section");
        if (section is < 1 or > 4)
            throw c.Error($"section {section} is not one of 1 to 4 (damaged TOC)", sectionAt);
        return (TocSection)section;
    }

    /// <summary>The dump ids an entry depends on, a list of strings ended by a NULL one.</summary>
    private static List<int> ReadDependencies(ArchiveCursor c)
    {
        var dependencies = new List<int>();
        while (c.ReadString("dependency") is { } dep)
        {
            if (!int.TryParse(dep, out int depId))
                throw c.Error($"dependency \"{dep}\" is not a dump id (damaged TOC)");
            dependencies.Add(depId);
        }
        return dependencies;
    }

    /// <summary>Where an entry's data is: an offset in a custom archive, a file name in a tar or directory one.</summary>
    private static (DataState State, long? Offset, string? File) ReadDataLocation(ArchiveCursor c, ArchiveFormat format)
    {
        if (format == ArchiveFormat.Custom)
        {
            var (state, offset) = c.ReadDataOffset("data offset");
            return (state, offset, null);
        }
        var file = c.ReadString("data file name");
        return string.IsNullOrEmpty(file) ? (DataState.None, null, null) : (DataState.File, null, file);
    }

    // pg_restore reads OIDs with sscanf("%u"): empty or NULL means 0.
    private static uint ParseOid(ArchiveCursor c, string? text, string field)
    {
        if (string.IsNullOrEmpty(text))
            return 0;
        if (!uint.TryParse(text, out uint value))
            throw c.Error($"{field} \"{text}\" is not a number (damaged TOC)");
        return value;
    }

    /// <summary>
    /// The size of toc.dat when the block is the tar header pg_dump writes first, null when it is not a tar header
    /// at all. A block that claims to be one but does not add up is damaged, and says where.
    /// </summary>
    private static long? ReadTarTocHeader(byte[] block, string source)
    {
        if (!TarHeader.ClaimsToc(block))
            return null;
        if (!TarHeader.IsUstar(block))
            throw PgPhaseException.Format(source, 257, $"damaged tar header: the first member is named toc.dat but the ustar signature reads \"{TarHeader.Printable(block, 257, 5)}\"");
        var header = TarHeader.Parse(block, 0, source);
        if (header.Name != "toc.dat")
            throw PgPhaseException.Format(source, 0, $"not a pg_dump tar archive: its first member is \"{TarHeader.Printable(block, 0, 100)}\", not toc.dat");
        return header.Size;
    }

    private static int ReadUpTo(Stream stream, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer, total, buffer.Length - total);
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }
}
