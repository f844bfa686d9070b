namespace PgPhaseRestore.Engine.Archive;

/// <summary>How table data inside the archive is compressed (pg_dump's codes from archive 1.15 on).</summary>
public enum CompressionAlgorithm
{
    /// <summary>Data blocks are stored as they are.</summary>
    None = 0,

    /// <summary>gzip (zlib), the only algorithm before archive 1.15.</summary>
    Gzip = 1,

    /// <summary>LZ4, from pg_dump 16 on.</summary>
    Lz4 = 2,

    /// <summary>Zstandard, from pg_dump 16 on.</summary>
    Zstd = 3,
}
