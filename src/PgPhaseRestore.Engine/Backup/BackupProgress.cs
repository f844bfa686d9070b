namespace PgPhaseRestore.Engine.Backup;

/// <summary>Progress of a running backup: bytes written so far, their rate, and what pg_dump is doing.</summary>
public sealed record BackupProgress(string Database, string Destination, long Bytes, double BytesPerSecond, string Activity)
{
    public override string ToString() =>
        $"{Database} -> {Destination}: {Storage.SizeText.Format(Bytes)} at {Storage.SizeText.Format((long)BytesPerSecond)}/s; {Activity}";
}
