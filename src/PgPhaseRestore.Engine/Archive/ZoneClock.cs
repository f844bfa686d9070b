using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;

namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// localtime() in one zone as glibc computes it: the wall-clock fields, daylight-saving flag and abbreviation
/// ("CET", "CEST") of an instant. TimeZoneInfo knows offsets but not the abbreviations, which only the zone's TZif
/// file holds; so the file answers within its transitions (as glibc reads it), and beyond the last one, where
/// glibc applies the file's rule string, TimeZoneInfo applies that same rule and the string gives the names.
/// </summary>
internal sealed class ZoneClock
{
    private static readonly ConcurrentDictionary<string, ZoneClock> Cache = new(StringComparer.Ordinal);

    private readonly TimeZoneInfo _zone;
    private readonly long[] _transitions;
    private readonly byte[] _typeOf;
    private readonly ZoneType[] _types;
    private readonly string? _standardName;
    private readonly string? _daylightName;

    private readonly record struct ZoneType(int Offset, bool IsDst, string Abbreviation);

    /// <summary>An instant's local time: the struct tm fields pg_restore formats (year in full, month from 1, day of the year from 0).</summary>
    internal readonly record struct LocalTime(long Year, int Month, int Day, int Hour, int Minute, int Second, int YearDay, bool IsDst, string? Abbreviation);

    private ZoneClock(TimeZoneInfo zone, long[] transitions, byte[] typeOf, ZoneType[] types, string? standardName, string? daylightName)
    {
        _zone = zone;
        _transitions = transitions;
        _typeOf = typeOf;
        _types = types;
        _standardName = standardName;
        _daylightName = daylightName;
    }

    /// <summary>The clock of <paramref name="zone"/>, its TZif file read once per process.</summary>
    public static ZoneClock For(TimeZoneInfo zone)
    {
        var file = ZoneFile(zone);
        return Cache.GetOrAdd(zone.Id + "\0" + file, _ => Read(zone, file));
    }

    /// <summary>The local time of <paramref name="t"/> (seconds since 1970 UTC); null when it falls outside years 1 to 9999.</summary>
    public LocalTime? At(long t)
    {
        int offset;
        bool isDst;
        string? abbreviation;
        if (_types.Length > 0 && (_transitions.Length == 0 || t < _transitions[^1] || _standardName is null))
        {
            var type = _types[TypeAt(t)];
            (offset, isDst, abbreviation) = (type.Offset, type.IsDst, type.Abbreviation);
        }
        else
        {
            if (t is < -62135596800L or > 253402300799L)
                return null;
            var instant = DateTimeOffset.FromUnixTimeSeconds(t);
            offset = (int)_zone.GetUtcOffset(instant).TotalSeconds;
            isDst = _zone.IsDaylightSavingTime(instant);
            abbreviation = isDst ? _daylightName ?? _standardName : _standardName;
            if (abbreviation is null && !OperatingSystem.IsWindows())
                abbreviation = isDst ? _zone.DaylightName : _zone.StandardName;
        }
        long local = t + offset;
        if (local is < -62135596800L or > 253402300799L)
            return null;
        var wall = DateTime.UnixEpoch.AddSeconds(local);
        return new LocalTime(wall.Year, wall.Month, wall.Day, wall.Hour, wall.Minute, wall.Second, wall.DayOfYear - 1, isDst, abbreviation);
    }

    /// <summary>glibc's choice: before the first transition (or with none) the first standard-time type, else the type the last transition at or before t set.</summary>
    private int TypeAt(long t)
    {
        if (_transitions.Length == 0 || t < _transitions[0])
        {
            int first = Array.FindIndex(_types, type => !type.IsDst);
            return first < 0 ? 0 : first;
        }
        int index = Array.BinarySearch(_transitions, t);
        int last = index >= 0 ? index : ~index - 1;
        return _typeOf[last];
    }

    /// <summary>
    /// The TZif file glibc reads for the zone: for the local zone the one TZ names (under TZDIR unless absolute;
    /// empty means "Universal"), or /etc/localtime when TZ is unset; for another zone the file of its IANA id.
    /// </summary>
    private static string ZoneFile(TimeZoneInfo zone)
    {
        if (OperatingSystem.IsWindows())
            return "";
        var dir = Environment.GetEnvironmentVariable("TZDIR") is { Length: > 0 } tzDir ? tzDir : "/usr/share/zoneinfo";
        if (zone.Id == TimeZoneInfo.Local.Id)
        {
            var tz = Environment.GetEnvironmentVariable("TZ");
            if (tz is null)
                return "/etc/localtime";
            tz = tz.StartsWith(':') ? tz[1..] : tz;
            return Path.IsPathRooted(tz) ? tz : Path.Combine(dir, tz.Length == 0 ? "Universal" : tz);
        }
        var id = !zone.HasIanaId && TimeZoneInfo.TryConvertWindowsIdToIanaId(zone.Id, out var iana) ? iana : zone.Id;
        return Path.Combine(dir, id);
    }

    /// <summary>
    /// Reads a TZif file (RFC 8536): the 64-bit data of version 2 and later, else the 32-bit data; then the footer's
    /// rule string, of which only the two names are needed. A file that cannot be read leaves TimeZoneInfo alone.
    /// </summary>
    private static ZoneClock Read(TimeZoneInfo zone, string file)
    {
        byte[] data;
        try
        {
            data = file.Length == 0 ? [] : File.ReadAllBytes(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            data = [];
        }
        try
        {
            if (data.Length >= 44 && data.AsSpan(0, 4).SequenceEqual("TZif"u8))
                return Parse(zone, data);
        }
        catch (Exception ex) when (ex is ArgumentException or IndexOutOfRangeException or InvalidDataException)
        {
            // A damaged zone file: TimeZoneInfo, which read it too, is all there is.
        }
        return new ZoneClock(zone, [], [], [], null, null);
    }

    private static ZoneClock Parse(TimeZoneInfo zone, byte[] data)
    {
        var counts = Counts(data, 0);
        int timeSize = 4, at = 44;
        if (data[4] >= (byte)'2')
        {
            // Version 2+: skip the 32-bit block to the second header and its 64-bit data.
            at += counts.Transitions * 5 + counts.Types * 6 + counts.Chars + counts.Leaps * 8 + counts.IsStd + counts.IsUt;
            counts = Counts(data, at);
            (timeSize, at) = (8, at + 44);
        }
        var transitions = new long[counts.Transitions];
        for (int i = 0; i < transitions.Length; i++, at += timeSize)
            transitions[i] = timeSize == 8 ? BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(at)) : BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(at));
        var typeOf = data.AsSpan(at, counts.Transitions).ToArray();
        at += counts.Transitions;
        int typesAt = at, charsAt = at + counts.Types * 6;
        var types = new ZoneType[counts.Types];
        for (int i = 0; i < types.Length; i++)
        {
            var entry = data.AsSpan(typesAt + i * 6, 6);
            int nameAt = charsAt + entry[5];
            int end = Array.IndexOf(data, (byte)0, nameAt, counts.Chars - entry[5]);
            types[i] = new ZoneType(BinaryPrimitives.ReadInt32BigEndian(entry), entry[4] != 0, Encoding.ASCII.GetString(data, nameAt, (end < 0 ? charsAt + counts.Chars : end) - nameAt));
        }
        if (typeOf.Any(type => type >= types.Length))
            throw new InvalidDataException("a transition names a type the file does not have");
        at = charsAt + counts.Chars + counts.Leaps * (timeSize + 4) + counts.IsStd + counts.IsUt;
        var (standard, daylight) = timeSize == 8 ? FooterNames(data, at) : (null, null);
        return new ZoneClock(zone, transitions, typeOf, types, standard, daylight);
    }

    private readonly record struct TzifCounts(int IsUt, int IsStd, int Leaps, int Transitions, int Types, int Chars);

    private static TzifCounts Counts(byte[] data, int header)
    {
        if (!data.AsSpan(header, 4).SequenceEqual("TZif"u8))
            throw new InvalidDataException("no TZif header");
        int Count(int i) => BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(header + 20 + 4 * i));
        return new TzifCounts(Count(0), Count(1), Count(2), Count(3), Count(4), Count(5));
    }

    /// <summary>The standard and daylight names of the footer's POSIX rule ("CET-1CEST,M3.5.0,M10.5.0/3", "&lt;+03&gt;-3").</summary>
    private static (string? Standard, string? Daylight) FooterNames(byte[] data, int at)
    {
        if (at >= data.Length || data[at] != (byte)'\n')
            return (null, null);
        int end = Array.IndexOf(data, (byte)'\n', at + 1);
        var rule = Encoding.ASCII.GetString(data, at + 1, (end < 0 ? data.Length : end) - at - 1);
        int i = 0;
        var standard = Name(rule, ref i);
        if (standard is null)
            return (null, null);
        while (i < rule.Length && (char.IsAsciiDigit(rule[i]) || rule[i] is '+' or '-' or ':'))
            i++;
        return (standard, Name(rule, ref i));
    }

    private static string? Name(string rule, ref int i)
    {
        if (i < rule.Length && rule[i] == '<')
        {
            int close = rule.IndexOf('>', i);
            if (close < 0)
                return null;
            var quoted = rule[(i + 1)..close];
            i = close + 1;
            return quoted;
        }
        int start = i;
        while (i < rule.Length && char.IsAsciiLetter(rule[i]))
            i++;
        return i > start ? rule[start..i] : null;
    }
}
