namespace PgPhaseRestore.Engine.Archive;

/// <summary>What the archive's grammar waits for next, as <see cref="ArchiveBlockScanner"/> feeds it.</summary>
internal readonly record struct ScanNeed(ScanNeedKind Kind, long Count)
{
    public static ScanNeed Bytes(int count) => new(ScanNeedKind.Bytes, count);

    public static ScanNeed Skip(long count) => new(ScanNeedKind.Skip, count);

    public static readonly ScanNeed Boundary = new(ScanNeedKind.Boundary, 0);

    public static readonly ScanNeed Chunks = new(ScanNeedKind.Chunks, 0);
}

/// <summary>The kinds of <see cref="ScanNeed"/>.</summary>
internal enum ScanNeedKind
{
        /// <summary>Count bytes into the scratch buffer.</summary>
        Bytes,

        /// <summary>Count bytes passed over.</summary>
        Skip,

        /// <summary>A new segment (the TOC, or a block) starts at the current position.</summary>
        Boundary,

        /// <summary>Length-prefixed chunks up to a zero length.</summary>
        Chunks,
    }
