using System.Text;

namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// Reads pg_dump's primitive encodings (Int, Str, Offset) forward from a stream, tracking the byte offset so
/// that every failure can say where it happened and what was being read.
/// </summary>
internal sealed class ArchiveCursor
{
    // A TOC string larger than this is a damaged length, not a definition: fail before allocating it.
    private const int MaxStringLength = 256 * 1024 * 1024;

    private readonly Stream _stream;
    private readonly string _source;
    private readonly long _baseOffset;
    private readonly byte[] _scratch = new byte[16];

    public ArchiveCursor(Stream stream, string source, long baseOffset = 0)
    {
        _stream = stream;
        _source = source;
        _baseOffset = baseOffset;
    }

    /// <summary>Offset from the start of the file being read (for tar: the archive, not the member).</summary>
    public long Position { get; private set; }

    public long FileOffset => _baseOffset + Position;
    public int IntSize { get; set; } = 4;
    public int OffsetSize { get; set; } = 8;
    public Encoding TextEncoding { get; set; } = new UTF8Encoding(false, false);

    /// <summary>What is being read, for error messages: "TOC entry 12 of 240 (dump id 3341, TABLE DATA public.t)".</summary>
    public string Context { get; set; } = "header";

    public ArchiveFormatException Error(string problem, long? at = null) =>
        new(_source, at ?? FileOffset, $"{problem} while reading {Context}");

    public void ReadExactly(Span<byte> buffer, string field)
    {
        var start = FileOffset;
        int total = 0;
        while (total < buffer.Length)
        {
            int n = _stream.Read(buffer[total..]);
            if (n == 0)
                throw Error($"archive is truncated: {field} needs {buffer.Length} bytes, only {total} remain", start);
            total += n;
            Position += n;
        }
    }

    public byte ReadByte(string field)
    {
        ReadExactly(_scratch.AsSpan(0, 1), field);
        return _scratch[0];
    }

    /// <summary>Int: a sign byte, then IntSize bytes of magnitude, least significant first.</summary>
    public long ReadInt(string field)
    {
        var start = FileOffset;
        var span = _scratch.AsSpan(0, 1 + IntSize);
        ReadExactly(span, field);
        byte sign = span[0];
        if (sign > 1)
            throw Error($"{field} has sign byte {sign}, expected 0 or 1 (damaged data)", start);
        ulong value = 0;
        for (int i = 0; i < IntSize; i++)
            value |= (ulong)span[1 + i] << (8 * i);
        if (value > long.MaxValue)
            throw Error($"{field} does not fit in 64 bits (damaged data)", start);
        return sign == 1 ? -(long)value : (long)value;
    }

    public int ReadInt32(string field)
    {
        var start = FileOffset;
        long value = ReadInt(field);
        if (value is < int.MinValue or > int.MaxValue)
            throw Error($"{field} value {value} is out of range (damaged data)", start);
        return (int)value;
    }

    /// <summary>Str: an Int length (-1 for NULL), then that many raw bytes.</summary>
    public string? ReadString(string field)
    {
        var start = FileOffset;
        long length = ReadInt(field + " length");
        if (length == -1)
            return null;
        if (length < 0 || length > MaxStringLength)
            throw Error($"{field} has impossible length {length} (damaged data)", start);
        if (length == 0)
            return "";
        var bytes = new byte[length];
        ReadExactly(bytes, field);
        return TextEncoding.GetString(bytes);
    }

    /// <summary>Offset (archive 1.7+): a flag byte, then OffsetSize bytes, least significant first.</summary>
    public (DataState State, long? Offset) ReadDataOffset(string field)
    {
        var start = FileOffset;
        byte flag = ReadByte(field + " flag");
        var span = _scratch.AsSpan(0, OffsetSize);
        ReadExactly(span, field);
        ulong value = 0;
        for (int i = 0; i < OffsetSize; i++)
            value |= (ulong)span[i] << (8 * i);
        return flag switch
        {
            1 => (DataState.OffsetNotSet, null),
            2 when value <= long.MaxValue => (DataState.Offset, (long)value),
            3 => (DataState.None, null),
            _ => throw Error($"{field} has flag {flag} with value {value}, not a valid data offset (damaged data)", start),
        };
    }
}
