namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// Where one entry's data block lies in a custom-format archive: its first byte (the block type), its length up
/// to the next block or the end, and the SHA-256 of exactly those bytes.
/// </summary>
internal sealed record ArchiveBlock(int DumpId, long Offset, long Length, string Sha256)
{
    /// <summary>One past the block's last byte.</summary>
    public long End => Offset + Length;
}
