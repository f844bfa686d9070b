namespace PgPhaseRestore.Engine.Archive;

/// <summary>How table data inside the archive is compressed (pg_dump's codes from archive 1.15 on).</summary>
public enum CompressionAlgorithm
{
    None = 0,
    Gzip = 1,
    Lz4 = 2,
    Zstd = 3,
}
