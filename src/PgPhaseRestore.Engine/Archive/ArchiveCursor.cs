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
    // Reused for every string's bytes: a TOC of thousands of entries reads tens of thousands of strings.
    private byte[] _text = new byte[4096];
    private string _context = "header";
    private (int Index, int Count, int DumpId, string? Type, string? Tag)? _entry;

    public ArchiveCursor(Stream stream, string source, long baseOffset = 0)
    {
        _stream = stream;
        _source = source;
        _baseOffset = baseOffset;
    }

    /// <summary>Offset from the start of the file being read (for tar: the archive, not the member).</summary>
    public long Position { get; private set; }

    public long FileOffset => _baseOffset + Position;

    /// <summary>The stream was read or sought past the cursor (a block's chunk data): where it now is, so errors say the right offset.</summary>
    public void Resync(long fileOffset) => Position = fileOffset - _baseOffset;
    public int IntSize { get; set; } = 4;
    public int OffsetSize { get; set; } = 8;
    public Encoding TextEncoding { get; set; } = new UTF8Encoding(false, false);

    /// <summary>What is being read, for error messages: "TOC entry 12 of 240 (dump id 3341, TABLE DATA public.t)".</summary>
    public string Context
    {
        get => _entry is not { } e ? _context
            : e.DumpId == 0 ? $"TOC entry {e.Index + 1} of {e.Count}"
            : e.Type is null ? $"TOC entry {e.Index + 1} of {e.Count} (dump id {e.DumpId})"
            : $"TOC entry {e.Index + 1} of {e.Count} (dump id {e.DumpId}, {e.Type} {e.Tag})";
        set
        {
            _context = value;
            _entry = null;
        }
    }

    /// <summary>Reading a TOC entry: what is known of it so far. The context text is only made for an error.</summary>
    public void AtEntry(int index, int count, int dumpId = 0, string? type = null, string? tag = null) =>
        _entry = (index, count, dumpId, type, tag);

    public PgPhaseException Error(string problem, long? at = null) =>
        PgPhaseException.Format(_source, at ?? FileOffset, $"{problem} while reading {Context}");

    public void ReadExactly(Span<byte> buffer, string field) => ReadExactly(buffer, field, null);

    /// <summary>As <see cref="ReadExactly(Span{byte}, string)"/> for "<paramref name="field"/><paramref name="suffix"/>", joined only for an error.</summary>
    private void ReadExactly(Span<byte> buffer, string field, string? suffix)
    {
        var start = FileOffset;
        int total = 0;
        while (total < buffer.Length)
        {
            int n = _stream.Read(buffer[total..]);
            if (n == 0)
                throw Error($"archive is truncated: {field}{suffix} needs {buffer.Length} bytes, only {total} remain", start);
            total += n;
            Position += n;
        }
    }

    public byte ReadByte(string field) => ReadByte(field, null);

    private byte ReadByte(string field, string? suffix)
    {
        ReadExactly(_scratch.AsSpan(0, 1), field, suffix);
        return _scratch[0];
    }

    /// <summary>Int: a sign byte, then IntSize bytes of magnitude, least significant first.</summary>
    public long ReadInt(string field) => ReadInt(field, null);

    private long ReadInt(string field, string? suffix)
    {
        var start = FileOffset;
        var span = _scratch.AsSpan(0, 1 + IntSize);
        ReadExactly(span, field, suffix);
        byte sign = span[0];
        if (sign > 1)
            throw Error($"{field}{suffix} has sign byte {sign}, expected 0 or 1 (damaged data)", start);
        ulong value = 0;
        for (int i = 0; i < IntSize; i++)
            value |= (ulong)span[1 + i] << (8 * i);
        if (value > long.MaxValue)
            throw Error($"{field}{suffix} does not fit in 64 bits (damaged data)", start);
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
        long length = ReadInt(field, " length");
        if (length == -1)
            return null;
        if (length < 0 || length > MaxStringLength)
            throw Error($"{field} has impossible length {length} (damaged data)", start);
        if (length == 0)
            return "";
        if (_text.Length < length)
            _text = new byte[Math.Max(length, Math.Min(2L * _text.Length, MaxStringLength))];
        var bytes = _text.AsSpan(0, (int)length);
        ReadExactly(bytes, field);
        return TextEncoding.GetString(bytes);
    }

    /// <summary>Offset (archive 1.7+): a flag byte, then OffsetSize bytes, least significant first.</summary>
    public (DataState State, long? Offset) ReadDataOffset(string field)
    {
        var start = FileOffset;
        byte flag = ReadByte(field, " flag");
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
