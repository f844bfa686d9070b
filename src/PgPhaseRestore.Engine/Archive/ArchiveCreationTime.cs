namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// The creation time exactly as the header stores it: the fields of the dumping machine's struct tm (month from 0,
/// year from 1900) and its daylight-saving flag. pg_restore turns them back into a time with mktime in its own
/// zone, the flag included, so a listing needs them as they are, not a DateTime made from them.
/// </summary>
internal readonly record struct ArchiveCreationTime(int Second, int Minute, int Hour, int Day, int Month, int Year, int IsDst)
{
    /// <summary>The fields of a wall-clock time whose daylight-saving flag is unknown (-1: mktime decides).</summary>
    public static ArchiveCreationTime FromWallClock(DateTime time) =>
        new(time.Second, time.Minute, time.Hour, time.Day, time.Month - 1, time.Year - 1900, -1);
}
