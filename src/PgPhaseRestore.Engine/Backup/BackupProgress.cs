namespace PgPhaseRestore.Engine.Backup;

/// <summary>Progress of a running backup: bytes written so far, their rate, and what pg_dump is doing.</summary>
/// <param name="Database">The database being backed up.</param>
/// <param name="Destination">Where it goes: a path or s3:// URI.</param>
/// <param name="Bytes">Bytes written so far.</param>
/// <param name="BytesPerSecond">The rate so far.</param>
/// <param name="Activity">What pg_dump is doing, in words.</param>
public sealed record BackupProgress(string Database, string Destination, long Bytes, double BytesPerSecond, string Activity)
{
    /// <summary>Database, destination, bytes so far, rate and activity on one line.</summary>
    public override string ToString() =>
        $"{Database} -> {Destination}: {Storage.SizeText.Format(Bytes)} at {Storage.SizeText.Format((long)BytesPerSecond)}/s; {Activity}";
}
