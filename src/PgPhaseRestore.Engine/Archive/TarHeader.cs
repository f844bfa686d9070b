using System.Text;

namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// One 512-byte tar header as pg_dump writes them (ustar, a plain name, the size in octal or, from 8 GiB on, GNU
/// base-256). A block that claims to be a header but does not add up is damaged, and says where, as pg_restore
/// does ("corrupt tar header").
/// </summary>
internal sealed record TarHeader(string Name, long Size)
{
    public const int BlockSize = 512;

    /// <summary>Whether the block is all zeros: two of them end a tar archive.</summary>
    public static bool IsEnd(ReadOnlySpan<byte> block) => !block[..BlockSize].ContainsAnyExcept((byte)0);

    /// <summary>Whether the block carries the ustar signature or the name toc.dat, i.e. claims to be pg_dump's first header.</summary>
    public static bool ClaimsToc(byte[] block) => IsUstar(block) || NameOf(block) == "toc.dat";

    /// <summary>Parses a header at <paramref name="at"/> in <paramref name="source"/>; throws naming the field and offset when it is damaged.</summary>
    public static TarHeader Parse(byte[] block, long at, string source)
    {
        var name = NameOf(block);
        if (!IsUstar(block))
            throw PgPhaseException.Format(source, at + 257, $"damaged tar header for \"{Printable(block, 0, 100)}\": the ustar signature reads \"{Printable(block, 257, 5)}\"");
        long? stored = ReadNumber(block, 148, 8);
        long computed = 0;
        for (int i = 0; i < BlockSize; i++)
            computed += i is >= 148 and < 156 ? (byte)' ' : block[i];
        if (stored != computed)
        {
            var said = stored is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"\"{Printable(block, 148, 8)}\"";
            throw PgPhaseException.Format(source, at + 148, $"damaged tar header for \"{Printable(block, 0, 100)}\": checksum {said} does not match the header's bytes ({computed})");
        }
        return ReadNumber(block, 124, 12) is { } size and >= 0
            ? new TarHeader(name, size)
            : throw PgPhaseException.Format(source, at + 124, $"damaged tar header for {name}: size field \"{Printable(block, 124, 12)}\" is not a number");
    }

    /// <summary>Where the next header starts after a member of <paramref name="size"/> bytes whose header is at <paramref name="at"/>.</summary>
    public static long Next(long at, long size) => at + BlockSize + (size + BlockSize - 1) / BlockSize * BlockSize;

    public static bool IsUstar(byte[] block) => block.AsSpan(257, 5).SequenceEqual("ustar"u8);

    private static string NameOf(byte[] block)
    {
        int length = Array.IndexOf(block, (byte)0, 0, 100);
        return Encoding.ASCII.GetString(block, 0, length < 0 ? 100 : length);
    }

    /// <summary>A tar numeric field: octal digits padded with spaces or NULs, or GNU base-256 (high bit set) for large values.</summary>
    private static long? ReadNumber(byte[] block, int at, int length)
    {
        var field = block.AsSpan(at, length);
        if ((field[0] & 0x80) != 0)
        {
            // Base-256, which pg_dump writes for members of 8 GiB and more: big-endian after the flag bit.
            ulong value = (ulong)(field[0] & 0x7F);
            foreach (var b in field[1..])
            {
                if (value > ulong.MaxValue >> 8)
                    return null;
                value = (value << 8) | b;
            }
            return value <= long.MaxValue ? (long)value : null;
        }
        var text = Encoding.ASCII.GetString(field).Trim('\0', ' ');
        if (text.Length == 0 || text.Any(ch => ch is < '0' or > '7'))
            return null;
        return Convert.ToInt64(text, 8);
    }

    /// <summary>Bytes of a header field as text, unprintable ones shown as ? (NULs as \0), for messages.</summary>
    public static string Printable(byte[] block, int at, int length)
    {
        var chars = block.Skip(at).Take(length).Select(b => b is >= 0x20 and < 0x7f ? (char)b : b == 0 ? '\0' : '?').ToArray();
        return new string(chars).TrimEnd('\0', ' ').Replace("\0", "\\0");
    }
}
