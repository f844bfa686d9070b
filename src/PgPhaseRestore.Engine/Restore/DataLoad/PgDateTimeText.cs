using System.Runtime.CompilerServices;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Dates and timestamps as PostgreSQL prints them with DateStyle ISO (what pg_dump sets), read into the values COPY
/// binary carries: days, or microseconds, since 2000-01-01 (UTC for timestamptz). Only that form: "2024-01-31",
/// "2024-01-31 12:34:56.789", "...+05:30" (the offset's minutes and seconds when nonzero), " BC", "infinity" and
/// "-infinity"; anything else is refused, and left to PostgreSQL.
/// </summary>
internal static class PgDateTimeText
{
    private const long MicrosPerSecond = 1_000_000;
    private const long SecondsPerDay = 86_400;
    private const long MicrosPerDay = SecondsPerDay * MicrosPerSecond;
    // Days from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
    private const long PostgresEpochDays = 10_957;
    // PostgreSQL's ranges, from 2000-01-01: dates from 4714-11-24 BC up to 5874898-01-01, timestamps up to 294277-01-01.
    private const long MinDate = -2_451_545, EndDate = 2_145_031_949;
    private const long MinTimestamp = -211_813_488_000_000_000, EndTimestamp = 9_223_371_331_200_000_000;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Date(ReadOnlySpan<byte> value, out int days)
    {
        days = 0;
        if (value.SequenceEqual("infinity"u8)) { days = int.MaxValue; return true; }
        if (value.SequenceEqual("-infinity"u8)) { days = int.MinValue; return true; }
        bool bc = value.EndsWith(" BC"u8);
        if (bc)
            value = value[..^3];
        if (!DatePart(value, bc, out long dayNumber, out int used) || used != value.Length || dayNumber is < MinDate or >= EndDate)
            return false;
        days = (int)dayNumber;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Timestamp(ReadOnlySpan<byte> value, bool withZone, out long micros)
    {
        micros = 0;
        if (value.SequenceEqual("infinity"u8)) { micros = long.MaxValue; return true; }
        if (value.SequenceEqual("-infinity"u8)) { micros = long.MinValue; return true; }
        bool bc = value.EndsWith(" BC"u8);
        if (bc)
            value = value[..^3];
        if (!DatePart(value, bc, out long days, out int at) || at >= value.Length || value[at] != ' ')
            return false;
        var time = value[(at + 1)..];
        if (time.Length < 8 || !Two(time, 0, 23, out int hour) || time[2] != ':' || !Two(time, 3, 59, out int minute) || time[5] != ':' || !Two(time, 6, 59, out int second))
            return false;
        int i = 8;
        long fraction = 0;
        if (i < time.Length && time[i] == '.')
        {
            int digits = 0;
            for (i++; i < time.Length && time[i] is >= (byte)'0' and <= (byte)'9'; i++, digits++)
                fraction = fraction * 10 + (time[i] - '0');
            if (digits is 0 or > 6)
                return false;
            for (; digits < 6; digits++)
                fraction *= 10;
        }
        long offsetSeconds = 0;
        if (withZone)
        {
            if (!Offset(time[i..], out offsetSeconds))
                return false;
        }
        else if (i != time.Length)
            return false;
        // The local time less its offset is UTC; outside PostgreSQL's range (or past a long) it is left to the server.
        if (days is < MinTimestamp / MicrosPerDay - 1 or > EndTimestamp / MicrosPerDay + 1)
            return false;
        micros = ((days * SecondsPerDay) + hour * 3600 + minute * 60 + second - offsetSeconds) * MicrosPerSecond + fraction;
        return micros is >= MinTimestamp and < EndTimestamp;
    }

    /// <summary>"YYYY-MM-DD" (four digits or more), as days since 2000-01-01; <paramref name="used"/> is its length.</summary>
    private static bool DatePart(ReadOnlySpan<byte> value, bool bc, out long days, out int used)
    {
        days = 0;
        used = 0;
        int i = 0;
        long year = 0;
        for (; i < value.Length && value[i] is >= (byte)'0' and <= (byte)'9' && i < 7; i++)
            year = year * 10 + (value[i] - '0');
        if (i < 4 || i + 6 > value.Length || value[i] != '-' || value[i + 3] != '-' || year == 0 || (i > 4 && value[0] == '0'))
            return false;
        if (!Two(value, i + 1, 12, out int month) || !Two(value, i + 4, 31, out int day) || month == 0 || day == 0 || day > DaysIn(bc ? 1 - year : year, month))
            return false;
        // 1 BC is the astronomical year 0.
        days = DaysFromCivil(bc ? 1 - year : year, month, day) - PostgresEpochDays;
        used = i + 6;
        return true;
    }

    /// <summary>"+HH", "+HH:MM" or "+HH:MM:SS" (or with a minus sign): the offset from UTC in seconds.</summary>
    private static bool Offset(ReadOnlySpan<byte> value, out long seconds)
    {
        seconds = 0;
        if (value.Length is not (3 or 6 or 9) || value[0] is not ((byte)'+' or (byte)'-') || !Two(value, 1, 15, out int hours))
            return false;
        int minutes = 0, secs = 0;
        if (value.Length >= 6 && (value[3] != ':' || !Two(value, 4, 59, out minutes) || (value.Length == 6 && minutes == 0)))
            return false;
        if (value.Length == 9 && (value[6] != ':' || !Two(value, 7, 59, out secs) || secs == 0))
            return false;
        seconds = (hours * 3600 + minutes * 60 + secs) * (value[0] == '-' ? -1 : 1);
        return true;
    }

    private static bool Two(ReadOnlySpan<byte> value, int at, int max, out int result)
    {
        result = 0;
        if (at + 2 > value.Length || value[at] is < (byte)'0' or > (byte)'9' || value[at + 1] is < (byte)'0' or > (byte)'9')
            return false;
        result = (value[at] - '0') * 10 + (value[at + 1] - '0');
        return result <= max;
    }

    private static int DaysIn(long year, int month) => month switch
    {
        2 => (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };

    /// <summary>Days from 1970-01-01 in the proleptic Gregorian calendar, for any astronomical year (H. Hinnant's algorithm).</summary>
    private static long DaysFromCivil(long year, int month, int day)
    {
        year -= month <= 2 ? 1 : 0;
        long era = (year >= 0 ? year : year - 399) / 400;
        long yearOfEra = year - era * 400;
        long dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097 + dayOfEra - 719_468;
    }
}
