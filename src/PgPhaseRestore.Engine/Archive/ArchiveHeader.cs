namespace PgPhaseRestore.Engine.Archive;

/// <summary>The archive header: what wrote it, how, and when.</summary>
public sealed class ArchiveHeader
{
    /// <summary>The container pg_dump wrote.</summary>
    public required ArchiveFormat Format { get; init; }

    /// <summary>The archive version, which decides the TOC's layout.</summary>
    public required ArchiveVersion Version { get; init; }

    /// <summary>Bytes per integer in the archive (4 from every pg_dump).</summary>
    public required int IntSize { get; init; }

    /// <summary>Bytes per data offset in the archive (8 from every 64-bit pg_dump).</summary>
    public required int OffsetSize { get; init; }

    /// <summary>How the data blocks are compressed.</summary>
    public required CompressionAlgorithm Compression { get; init; }

    /// <summary>zlib level for archives before 1.15 (-1 default, 0 none); null from 1.15 on, where only the algorithm is recorded.</summary>
    public int? CompressionLevel { get; init; }

    /// <summary>Creation time as recorded: the dumping machine's local wall-clock time, zone unknown.</summary>
    public required DateTime CreatedAt { get; init; }

    /// <summary>The creation time's fields as stored, for a listing that matches pg_restore's; null for a header not read from an archive.</summary>
    internal ArchiveCreationTime? CreatedFields { get; init; }

    /// <summary>The database that was dumped.</summary>
    public required string? DatabaseName { get; init; }

    /// <summary>The server's version at dump time, as it reported it.</summary>
    public required string? ServerVersion { get; init; }

    /// <summary>The version of the pg_dump that wrote the archive.</summary>
    public required string? PgDumpVersion { get; init; }

    /// <summary>The header in one line, as a list of the archive shows it.</summary>
    public override string ToString() =>
        $"{Format} archive {Version} of \"{DatabaseName}\" by pg_dump {PgDumpVersion} from server {ServerVersion}, {Compression}{(CompressionLevel is { } level ? $" level {level}" : "")}, {CreatedAt.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)}";
}
