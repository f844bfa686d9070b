namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// The data layout of a custom-format archive that pg_dump wrote to a pipe, whose TOC therefore holds no data
/// offsets: where the TOC ends (with the SHA-256 of everything before that) and where each data block lies.
/// Recorded in the manifest while the backup streams, so that a restore can fetch one table's block on its own.
/// </summary>
internal sealed class ArchiveBlockMap
{
    /// <summary>Offset just past the TOC: the header and TOC are the bytes before it.</summary>
    public long TocEnd { get; init; }

    /// <summary>SHA-256 of the header and TOC.</summary>
    public string TocSha256 { get; init; } = "";

    /// <summary>The data blocks in file order, back to back from <see cref="TocEnd"/> to the end of the archive.</summary>
    public IReadOnlyList<ArchiveBlock> Blocks { get; init; } = [];

    /// <summary>
    /// Null when the map describes <paramref name="archive"/> of <paramref name="size"/> bytes: its TOC ends where the
    /// map says, the blocks run back to back to the end, and exactly the entries with data have one. Otherwise why not.
    /// </summary>
    public string? Mismatch(DumpArchive archive, long size)
    {
        if (archive.Format != ArchiveFormat.Custom)
            return $"the archive is in {archive.Format.ToString().ToLowerInvariant()} format, not custom";
        if (TocEnd != archive.TocEndOffset || TocSha256.Length != 64)
            return $"the map's TOC ends at byte {TocEnd}, the archive's at {archive.TocEndOffset}";
        long next = TocEnd;
        foreach (var block in Blocks)
        {
            if (block.Offset != next || block.Length <= 0 || block.Sha256.Length != 64)
                return $"the block of dump id {block.DumpId} is not where the previous one ends (byte {next})";
            next = block.End;
        }
        if (next != size)
            return $"the blocks end at byte {next}, the archive at {size}";
        var withData = archive.Entries.Where(e => e.DataState is DataState.Offset or DataState.OffsetNotSet).Select(e => e.DumpId).ToHashSet();
        if (!withData.SetEquals(Blocks.Select(b => b.DumpId)) || withData.Count != Blocks.Count)
            return "the map's blocks are not exactly the TOC's entries with data";
        return null;
    }
}
