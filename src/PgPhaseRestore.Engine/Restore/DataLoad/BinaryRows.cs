using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Turns rows in COPY text format, as pg_dump stored them, into COPY binary tuples for a table whose every column
/// has a type listed in <see cref="BinaryField"/>. Parsing text is most of what a backend does for a COPY; done here,
/// on another core, the backend only stores the rows. Only the forms PostgreSQL itself prints are accepted: anything
/// else (a value this converter does not know to be canonical) throws, before any row commits, and the table loads
/// again as COPY text, so PostgreSQL's own input functions decide every value they would have decided.
/// </summary>
internal sealed class BinaryRows
{
    private readonly BinaryField[] _fields;

    public BinaryRows(IReadOnlyList<BinaryField> fields) => _fields = [.. fields];

    /// <summary>The columns, in the COPY's order.</summary>
    public IReadOnlyList<BinaryField> Fields => _fields;

    /// <summary>The start of a COPY binary stream: signature, flags (no OIDs) and an empty header extension.</summary>
    public static ReadOnlySpan<byte> Header => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xff, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>The end of a COPY binary stream: a field count of -1.</summary>
    public static ReadOnlySpan<byte> Trailer => [0xff, 0xff];

    /// <summary>A value this converter does not turn into binary exactly as PostgreSQL would: the table loads as text.</summary>
    private static PgPhaseException NotConvertible(string message) => new(message, PgPhaseErrorCode.RestoreFailed);

    /// <summary>
    /// Converts <paramref name="text"/>, whole rows each ending in a newline, appending their tuples to
    /// <paramref name="output"/> from <paramref name="length"/> on (the array grows as needed); returns the new length.
    /// <paramref name="row"/> numbers the first row for messages, and is past the last one after.
    /// </summary>
    // Optimized at once: a table's rows run through here millions of times, from its first chunk on.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Convert(ReadOnlySpan<byte> text, ref byte[] output, int length, ref long row)
    {
        while (!text.IsEmpty)
        {
            int end = text.IndexOf((byte)'\n');
            if (end < 0)
                throw NotConvertible($"row {row}: no newline at its end");
            var line = text[..end];
            text = text[(end + 1)..];
            // The largest a tuple can be: a count, then per field a length and at most its text's bytes or 16.
            int most = 2 + line.Length + _fields.Length * 20;
            if (output.Length - length < most)
                Array.Resize(ref output, Math.Max(output.Length * 2, length + most));
            length = ConvertRow(line, output, length, row);
            row++;
        }
        return length;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ConvertRow(ReadOnlySpan<byte> line, byte[] output, int at, long row)
    {
        BinaryPrimitives.WriteInt16BigEndian(output.AsSpan(at), (short)_fields.Length);
        at += 2;
        for (int i = 0; i < _fields.Length; i++)
        {
            int tab = i < _fields.Length - 1 ? line.IndexOf((byte)'\t') : line.Length;
            if (tab < 0 || (i == _fields.Length - 1 && line.IndexOf((byte)'\t') >= 0))
                throw NotConvertible($"row {row}: not {_fields.Length} fields");
            var value = line[..tab];
            line = i < _fields.Length - 1 ? line[(tab + 1)..] : [];
            if (value.SequenceEqual("\\N"u8))
            {
                BinaryPrimitives.WriteInt32BigEndian(output.AsSpan(at), -1);
                at += 4;
                continue;
            }
            int written = Write(_fields[i], value, output.AsSpan(at + 4));
            if (written < 0)
                throw NotConvertible($"row {row}, column {i + 1} ({_fields[i]}): a value not in a form this converter knows");
            BinaryPrimitives.WriteInt32BigEndian(output.AsSpan(at), written);
            at += 4 + written;
        }
        return at;
    }

    /// <summary>The value's binary form in <paramref name="to"/>: its length, or -1 when it is not a form known here.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Write(BinaryField field, ReadOnlySpan<byte> value, Span<byte> to)
    {
        switch (field)
        {
            case BinaryField.Int2:
                if (!Integer(value, out long i2) || i2 is < short.MinValue or > short.MaxValue)
                    return -1;
                BinaryPrimitives.WriteInt16BigEndian(to, (short)i2);
                return 2;
            case BinaryField.Int4:
                if (!Integer(value, out long i4) || i4 is < int.MinValue or > int.MaxValue)
                    return -1;
                BinaryPrimitives.WriteInt32BigEndian(to, (int)i4);
                return 4;
            case BinaryField.Int8:
                if (!Integer(value, out long i8))
                    return -1;
                BinaryPrimitives.WriteInt64BigEndian(to, i8);
                return 8;
            case BinaryField.Bool:
                if (value.Length != 1 || value[0] is not ((byte)'t' or (byte)'f'))
                    return -1;
                to[0] = value[0] == 't' ? (byte)1 : (byte)0;
                return 1;
            case BinaryField.Float8:
                if (!Float8(value, out double d))
                    return -1;
                // float8in gives C's NAN, the positive quiet NaN; .NET's NaN has the sign bit set.
                BinaryPrimitives.WriteInt64BigEndian(to, double.IsNaN(d) ? 0x7FF8_0000_0000_0000 : BitConverter.DoubleToInt64Bits(d));
                return 8;
            case BinaryField.Uuid:
                return Uuid(value, to) ? 16 : -1;
            case BinaryField.Text:
                return Unescape(value, to);
            case BinaryField.Timestamp or BinaryField.TimestampTz:
                if (!PgDateTimeText.Timestamp(value, field == BinaryField.TimestampTz, out long micros))
                    return -1;
                BinaryPrimitives.WriteInt64BigEndian(to, micros);
                return 8;
            case BinaryField.Date:
                if (!PgDateTimeText.Date(value, out int days))
                    return -1;
                BinaryPrimitives.WriteInt32BigEndian(to, days);
                return 4;
            default:
                return -1;
        }
    }

    /// <summary>An integer as PostgreSQL prints one: an optional minus sign and digits, no leading zero, no sign on zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Integer(ReadOnlySpan<byte> value, out long result)
    {
        result = 0;
        bool negative = value.Length > 0 && value[0] == '-';
        var digits = negative ? value[1..] : value;
        if (digits.Length is 0 or > 19 || (digits[0] == '0' && (digits.Length > 1 || negative)))
            return false;
        ulong magnitude = 0;
        foreach (byte c in digits)
        {
            if (c is < (byte)'0' or > (byte)'9')
                return false;
            magnitude = magnitude * 10 + (ulong)(c - '0');
        }
        if (magnitude > (negative ? 9223372036854775808UL : long.MaxValue))
            return false;
        result = negative ? (long)(0 - magnitude) : (long)magnitude;
        return true;
    }

    /// <summary>
    /// A double as PostgreSQL prints one: NaN, Infinity, -Infinity, or a decimal with an optional exponent. .NET parses
    /// decimals correctly rounded, as strtod does in float8in, so both give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Float8(ReadOnlySpan<byte> value, out double result)
    {
        result = 0;
        if (value.SequenceEqual("NaN"u8)) { result = double.NaN; return true; }
        if (value.SequenceEqual("Infinity"u8)) { result = double.PositiveInfinity; return true; }
        if (value.SequenceEqual("-Infinity"u8)) { result = double.NegativeInfinity; return true; }
        if (value.Length is 0 or > 40)
            return false;
        // Digits, one point, an exponent: nothing .NET would read and strtod would not, or the other way round.
        int start = value[0] == '-' ? 1 : 0;
        if (start >= value.Length || value[start] is < (byte)'0' or > (byte)'9')
            return false;
        foreach (byte c in value[start..])
            if (c is not ((>= (byte)'0' and <= (byte)'9') or (byte)'.' or (byte)'e' or (byte)'+' or (byte)'-'))
                return false;
        // An overflow to infinity, or a nonzero value read as zero, is an error in float8in: not converted here either.
        return double.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out result)
               && double.IsFinite(result) && (result != 0 || !HasNonZeroDigit(value));
    }

    private static bool HasNonZeroDigit(ReadOnlySpan<byte> value)
    {
        int e = value.IndexOf((byte)'e');
        foreach (byte c in e < 0 ? value : value[..e])
            if (c is >= (byte)'1' and <= (byte)'9')
                return true;
        return false;
    }

    /// <summary>A uuid as PostgreSQL prints one: 32 lower-case hex digits in groups of 8-4-4-4-12.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool Uuid(ReadOnlySpan<byte> value, Span<byte> to)
    {
        if (value.Length != 36 || value[8] != '-' || value[13] != '-' || value[18] != '-' || value[23] != '-')
            return false;
        int bad = 0;
        for (int o = 0; o < 16; o++)
        {
            int i = UuidDigits[o];
            int hi = HexDigit[value[i]], lo = HexDigit[value[i + 1]];
            bad |= hi | lo;
            to[o] = (byte)(hi << 4 | lo);
        }
        // A byte that is no lower-case hex digit maps to 0x100: one test for all 32.
        return bad < 0x100;
    }

    // Where each byte's two digits start in 8-4-4-4-12.
    private static readonly int[] UuidDigits = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

    private static readonly int[] HexDigit = Enumerable.Range(0, 256).Select(c => LowerHex((byte)c) is var v and >= 0 ? v : 0x100).ToArray();

    private static int LowerHex(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };

    /// <summary>
    /// A text value with the backslash escapes COPY TO writes undone (\\, \b, \f, \n, \r, \t, \v), as
    /// CopyReadAttributesText undoes them; the server checks the bytes' encoding as it does for text. Any other escape
    /// (octal, hex, "\."), and a carriage return COPY text refuses unescaped, are left to the server's text input.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Unescape(ReadOnlySpan<byte> value, Span<byte> to)
    {
        if (value.IndexOfAny((byte)'\\', (byte)'\r') < 0)
        {
            value.CopyTo(to);
            return value.Length;
        }
        int o = 0;
        for (int i = 0; i < value.Length; i++)
        {
            byte c = value[i];
            if (c == '\r')
                return -1;
            if (c != '\\')
            {
                to[o++] = c;
                continue;
            }
            if (++i == value.Length)
                return -1;
            c = value[i] switch
            {
                (byte)'\\' => (byte)'\\',
                (byte)'b' => (byte)'\b',
                (byte)'f' => (byte)'\f',
                (byte)'n' => (byte)'\n',
                (byte)'r' => (byte)'\r',
                (byte)'t' => (byte)'\t',
                (byte)'v' => (byte)'\v',
                _ => 0,
            };
            if (c == 0)
                return -1;
            to[o++] = c;
        }
        return o;
    }
}
