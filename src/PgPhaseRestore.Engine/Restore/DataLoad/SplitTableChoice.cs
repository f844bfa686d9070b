using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Which tables of a data phase load over several sessions at once: those whose data in the archive is at least
/// the split size, when there are parallel jobs, the archive is a local custom (with offsets) or directory
/// archive, or one in a bucket whose manifest maps its data blocks, and its data is UTF-8 (the sessions speak
/// UTF-8 and pass the rows through unconverted).
/// </summary>
internal static class SplitTableChoice
{
    /// <summary>
    /// The tables to split, biggest first. Nothing is split when <paramref name="streamed"/> (the whole archive goes
    /// through one pg_restore); <paramref name="sizes"/> gives each entry's data as stored when the archive itself
    /// cannot say (a bucket's block map).
    /// </summary>
    public static List<TocEntry> Choose(DumpArchive archive, IReadOnlyList<TocEntry> entries, RestoreOptions options, int jobs, bool streamed,
        IReadOnlyDictionary<int, long>? sizes = null)
    {
        if (jobs < 2 || streamed || options.SplitTableSize <= 0 || !IsUtf8(archive))
            return [];
        sizes ??= DataSizes(archive);
        return entries.Where(e => e.Type == "TABLE DATA" && e.CopyStatement is not null && sizes.TryGetValue(e.DumpId, out long size) && size >= options.SplitTableSize)
            .OrderByDescending(e => sizes[e.DumpId]).ToList();
    }

    /// <summary>Whether the archive's data is UTF-8, what sessions that pass rows through unconverted need.</summary>
    public static bool IsUtf8(DumpArchive archive) =>
        archive.Entries.FirstOrDefault(e => e.Type == "ENCODING")?.Definition?.Contains("'UTF8'", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Bytes of each table's data as stored (compressed): from block offsets, or from member file sizes.</summary>
    public static Dictionary<int, long> DataSizes(DumpArchive archive)
    {
        var sizes = new Dictionary<int, long>();
        if (archive.Format == ArchiveFormat.Custom && File.Exists(archive.Source))
        {
            var blocks = archive.Entries.Where(e => e.DataOffset is > 0).OrderBy(e => e.DataOffset).ToList();
            long end = new FileInfo(archive.Source).Length;
            for (int i = 0; i < blocks.Count; i++)
                sizes[blocks[i].DumpId] = (i + 1 < blocks.Count ? blocks[i + 1].DataOffset!.Value : end) - blocks[i].DataOffset!.Value;
        }
        else if (archive.Format == ArchiveFormat.Directory && Directory.Exists(archive.Source))
        {
            foreach (var e in archive.Entries.Where(e => e.DataFile is not null))
            {
                if (DirectoryDataFile.Find(archive.Source, e.DataFile!) is { } file)
                    sizes[e.DumpId] = new FileInfo(Path.Combine(archive.Source, file)).Length;
            }
        }
        return sizes;
    }
}
