namespace PgPhaseRestore.Engine.Backup;

/// <summary>pg_dump's archive formats a backup can take. Objects in a bucket are always custom format.</summary>
public enum BackupFormat
{
    /// <summary>One file or object (pg_dump -Fc).</summary>
    Custom,

    /// <summary>A folder of files, dumped with parallel jobs (pg_dump -Fd); local only.</summary>
    Directory,
}
