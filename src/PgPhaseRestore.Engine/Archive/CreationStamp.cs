using System.Globalization;

namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// An archive's creation time as `pg_restore -l` prints it: pg_restore hands the stored fields to mktime, which
/// reads them as a wall-clock time of the restoring machine's zone (the stored daylight-saving flag choosing
/// between the two readings of an hour, and shifting a time the zone does not keep in that flag), then formats
/// localtime of the result with "%Y-%m-%d %H:%M:%S %Z" (no %Z on Windows). A dump made in a Berlin summer and
/// listed in UTC reads an hour earlier; the same dump listed in Berlin, as made.
/// </summary>
internal static class CreationStamp
{
    private const int UnixEpochYear = 70;

    private static readonly int[][] DaysBeforeMonth =
    [
        [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365],
        [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366],
    ];

    /// <summary>"2026-12-05 07:24:55 UTC": the line pg_restore would print in <paramref name="zone"/>.</summary>
    public static string Format(ArchiveCreationTime created, TimeZoneInfo zone)
    {
        var clock = ZoneClock.For(zone);
        // mktime's failure is -1, which pg_restore prints all the same (after a warning on stderr).
        var local = clock.At(MkTime(created, clock) ?? -1);
        if (local is not { } tm)
            return "[unknown]";
        var text = string.Create(CultureInfo.InvariantCulture, $"{tm.Year}-{tm.Month:D2}-{tm.Day:D2} {tm.Hour:D2}:{tm.Minute:D2}:{tm.Second:D2}");
        return OperatingSystem.IsWindows() ? text : $"{text} {tm.Abbreviation}";
    }

    /// <summary>
    /// glibc's mktime (time/mktime.c, as in glibc 2.36), over this clock: probe with the error of the last guess,
    /// stop on a spring-forward gap, and when the match's daylight-saving flag is not the requested one take the
    /// offset of the nearest time that has it, or else one hour. Null where mktime returns -1.
    /// </summary>
    private static long? MkTime(ArchiveCreationTime c, ZoneClock clock)
    {
        int isDst = c.IsDst;
        int monthRemainder = c.Month % 12;
        int negative = monthRemainder < 0 ? 1 : 0;
        long year = (long)c.Year + c.Month / 12 - negative;
        long yearDay = DaysBeforeMonth[IsLeap(year) ? 1 : 0][monthRemainder + 12 * negative] - 1 + (long)c.Day;
        int hour = c.Hour, minute = c.Minute;
        // Out-of-range seconds are set aside: the search assumes minutes of 60 seconds.
        int second = Math.Clamp(c.Second, 0, 59);

        long t0 = SecondsBetween(year, yearDay, hour, minute, second, UnixEpochYear, 0, 0, 0, 0);
        long t = t0, t1 = t0, t2 = t0;
        bool previousDst = false;
        int probes = 6;
        ZoneClock.LocalTime tm;
        bool gap = false;
        while (true)
        {
            if (clock.At(t) is not { } probe)
                return null;
            tm = probe;
            long dt = Difference(year, yearDay, hour, minute, second, tm);
            if (dt == 0)
                break;
            // Oscillating between two guesses: a time in a spring-forward gap, taken a gap's width away.
            if (t == t1 && t != t2 && (isDst < 0 ? (previousDst ? 1 : 0) <= (tm.IsDst ? 1 : 0) : (isDst != 0) != tm.IsDst))
            {
                gap = true;
                break;
            }
            if (--probes == 0)
                return null;
            (t1, t2, t, previousDst) = (t2, t, t + dt, tm.IsDst);
        }

        if (!gap && DstDiffers(isDst, tm.IsDst))
        {
            if (NearestWithDst(clock, t, isDst, year, yearDay, hour, minute, second) is { } found)
                (t, tm) = found;
            else
            {
                // No time with the requested flag nearby (a zone without daylight saving): assume an hour's difference.
                t += 3600 * ((isDst == 0 ? 1 : 0) - (tm.IsDst ? 0 : 1));
                if (clock.At(t) is not { } shifted)
                    return null;
                tm = shifted;
            }
        }

        if (c.Second != tm.Second)
        {
            t += (second == 0 && tm.Second == 60 ? 1 : 0) - second + c.Second;
            if (clock.At(t) is null)
                return null;
        }
        return t;
    }

    /// <summary>Probes a week apart, both ways, out to about seven years, for a time with the requested flag; its offset then places the wall-clock time.</summary>
    private static (long T, ZoneClock.LocalTime Tm)? NearestWithDst(ZoneClock clock, long t, int isDst, long year, long yearDay, int hour, int minute, int second)
    {
        const int stride = 601200;
        const int durationMax = 457243209;
        const int deltaBound = durationMax / 2 + stride;
        for (long delta = stride; delta < deltaBound; delta += stride)
        {
            for (int direction = -1; direction <= 1; direction += 2)
            {
                long other = t + delta * direction;
                if (clock.At(other) is not { } otm)
                    return null;
                if (DstDiffers(isDst, otm.IsDst))
                    continue;
                long guess = other + Difference(year, yearDay, hour, minute, second, otm);
                if (clock.At(guess) is { } gtm)
                    return (guess, gtm);
            }
        }
        return null;
    }

    /// <summary>Whether a requested and an actual flag differ as mktime sees it: one zero, the other positive (a negative request is no request).</summary>
    private static bool DstDiffers(int requested, bool actual) => requested >= 0 && (requested != 0) != actual;

    private static long Difference(long year, long yearDay, int hour, int minute, int second, ZoneClock.LocalTime tm) =>
        SecondsBetween(year, yearDay, hour, minute, second, tm.Year - 1900, tm.YearDay, tm.Hour, tm.Minute, tm.Second);

    /// <summary>(year1, day of year, time) minus (year0, ...) in seconds, years counted from 1900 and leap days in between counted, as glibc's ydhms_diff.</summary>
    private static long SecondsBetween(long year1, long yday1, int hour1, int min1, int sec1, long year0, long yday0, int hour0, int min0, int sec0)
    {
        long a4 = (year1 >> 2) + (1900 >> 2) - ((year1 & 3) == 0 ? 1 : 0);
        long b4 = (year0 >> 2) + (1900 >> 2) - ((year0 & 3) == 0 ? 1 : 0);
        long a100 = FloorDiv(a4, 25), b100 = FloorDiv(b4, 25);
        long leapDays = (a4 - b4) - (a100 - b100) + ((a100 >> 2) - (b100 >> 2));
        long days = 365 * (year1 - year0) + yday1 - yday0 + leapDays;
        return 60 * (60 * (24 * days + hour1 - hour0) + min1 - min0) + sec1 - sec0;
    }

    private static long FloorDiv(long a, long b) => a / b - (a % b < 0 ? 1 : 0);

    /// <summary>Whether year (counted from 1900) is a leap year.</summary>
    private static bool IsLeap(long year) => (year & 3) == 0 && (year % 100 != 0 || ((year / 100) & 3) == (-(1900 / 100) & 3));
}
