namespace PgPhaseRestore.Engine.Archive;

/// <summary>An archive version (major.minor-rev) as written in the header, e.g. 1.14-0 by pg_dump 12 to 15.</summary>
public readonly record struct ArchiveVersion(byte Major, byte Minor, byte Revision) : IComparable<ArchiveVersion>
{
    public static readonly ArchiveVersion V1_12 = new(1, 12, 0);
    public static readonly ArchiveVersion V1_13 = new(1, 13, 0);
    public static readonly ArchiveVersion V1_14 = new(1, 14, 0);
    public static readonly ArchiveVersion V1_15 = new(1, 15, 0);
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

    public int CompareTo(ArchiveVersion other) => Packed.CompareTo(other.Packed);

    public static bool operator <(ArchiveVersion a, ArchiveVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(ArchiveVersion a, ArchiveVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(ArchiveVersion a, ArchiveVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(ArchiveVersion a, ArchiveVersion b) => a.CompareTo(b) >= 0;

    /// <summary>Same spelling as pg_restore's "Dump Version" line.</summary>
    public override string ToString() => $"{Major}.{Minor}-{Revision}";
}
