namespace PgPhaseRestore.Engine.Archive;

/// <summary>The archive header: what wrote it, how, and when.</summary>
public sealed class ArchiveHeader
{
    public required ArchiveFormat Format { get; init; }
    public required ArchiveVersion Version { get; init; }
    public required int IntSize { get; init; }
    public required int OffsetSize { get; init; }
    public required CompressionAlgorithm Compression { get; init; }

    /// <summary>zlib level for archives before 1.15 (-1 default, 0 none); null from 1.15 on, where only the algorithm is recorded.</summary>
    public int? CompressionLevel { get; init; }

    /// <summary>Creation time as recorded: the dumping machine's local wall-clock time, zone unknown.</summary>
    public required DateTime CreatedAt { get; init; }

    public required string? DatabaseName { get; init; }
    public required string? ServerVersion { get; init; }
    public required string? PgDumpVersion { get; init; }
}
