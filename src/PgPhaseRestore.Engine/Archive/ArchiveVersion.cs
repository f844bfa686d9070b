namespace PgPhaseRestore.Engine.Archive;

/// <summary>An archive version (major.minor-rev) as written in the header, e.g. 1.14-0 by pg_dump 12 to 15.</summary>
/// <param name="Major">Always 1 so far.</param>
/// <param name="Minor">Grows with the pg_dump releases that change the format.</param>
/// <param name="Revision">Always 0 so far.</param>
public readonly record struct ArchiveVersion(byte Major, byte Minor, byte Revision) : IComparable<ArchiveVersion>
{
    /// <summary>Archive 1.12: pg_dump 9.0 to 10.</summary>
    public static readonly ArchiveVersion V1_12 = new(1, 12, 0);

    /// <summary>Archive 1.13: pg_dump 11.</summary>
    public static readonly ArchiveVersion V1_13 = new(1, 13, 0);

    /// <summary>Archive 1.14: pg_dump 12 to 15 (table access methods).</summary>
    public static readonly ArchiveVersion V1_14 = new(1, 14, 0);

    /// <summary>Archive 1.15: pg_dump 16 (compression algorithms).</summary>
    public static readonly ArchiveVersion V1_15 = new(1, 15, 0);

    /// <summary>Archive 1.16: pg_dump 17 and 18 (relation kinds recorded).</summary>
    public static readonly ArchiveVersion V1_16 = new(1, 16, 0);

    /// <summary>Oldest version read: pg_dump 9.x. Older archives predate sections and dependencies.</summary>
    public static readonly ArchiveVersion OldestSupported = V1_12;

    /// <summary>Newest version read: pg_dump 17 and 18.</summary>
    public static readonly ArchiveVersion NewestSupported = V1_16;

    // pg_dump has written major 1 since PostgreSQL 7.1 and adds at most one minor version a year, always with
    // revision 0: a version far beyond the newest known one is a damaged byte, not an archive from the future.
    private const int PlausibleMinorsAhead = 8;
    private const int PlausibleRevision = 9;

    /// <summary>The first byte that no pg_dump, present or plausibly future, would write; null for a plausible version.</summary>
    internal static (string Field, byte Value, int Index)? ImpossibleByte(ArchiveVersion v) =>
        v.Major != 1 ? ("major", v.Major, 0)
        : v.Minor > NewestSupported.Minor + PlausibleMinorsAhead ? ("minor", v.Minor, 1)
        : v.Revision > PlausibleRevision ? ("revision", v.Revision, 2)
        : null;

    private int Packed => (Major << 16) | (Minor << 8) | Revision;

    /// <summary>Orders versions by major, then minor, then revision.</summary>
    public int CompareTo(ArchiveVersion other) => Packed.CompareTo(other.Packed);

    /// <summary>True when <paramref name="a"/> is an older version than <paramref name="b"/>.</summary>
    public static bool operator <(ArchiveVersion a, ArchiveVersion b) => a.CompareTo(b) < 0;

    /// <summary>True when <paramref name="a"/> is a newer version than <paramref name="b"/>.</summary>
    public static bool operator >(ArchiveVersion a, ArchiveVersion b) => a.CompareTo(b) > 0;

    /// <summary>True when <paramref name="a"/> is <paramref name="b"/> or older.</summary>
    public static bool operator <=(ArchiveVersion a, ArchiveVersion b) => a.CompareTo(b) <= 0;

    /// <summary>True when <paramref name="a"/> is <paramref name="b"/> or newer.</summary>
    public static bool operator >=(ArchiveVersion a, ArchiveVersion b) => a.CompareTo(b) >= 0;

    /// <summary>Same spelling as pg_restore's "Dump Version" line.</summary>
    public override string ToString() => $"{Major}.{Minor}-{Revision}";
}
