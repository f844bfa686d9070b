using System.Globalization;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>Byte sizes as people write them: 512MB, 8MiB, 1G, 5242880. Powers of 1024 throughout, as the earlier scripts meant.</summary>
public static class SizeText
{
    /// <summary>A size such as 512MB, 8MiB, 1.5G or 5242880, in bytes (units are powers of 1024).</summary>
    public static long Parse(string text)
    {
        var s = text.Trim();
        int i = 0;
        while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '.'))
            i++;
        if (i == 0 || !double.TryParse(s[..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
            throw new PgPhaseException($"\"{text}\" is not a size: expected a number with an optional unit, as 8MiB or 512MB", PgPhaseErrorCode.InvalidInput);
        long unit = s[i..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            "T" or "TB" or "TIB" => 1L << 40,
            var u => throw new PgPhaseException($"\"{text}\": unknown size unit \"{u}\" (use B, KB, MB, GB or TB)", PgPhaseErrorCode.InvalidInput),
        };
        return checked((long)(number * unit));
    }

    /// <summary>A size for people: 12.3 MiB, 512 B.</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int u = 0;
        while (Math.Abs(value) >= 1024 && u < units.Length - 1)
        {
            value /= 1024;
            u++;
        }
        return u == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[u]}");
    }
}
