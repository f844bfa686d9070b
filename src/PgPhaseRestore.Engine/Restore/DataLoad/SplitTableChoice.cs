using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;

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
        IReadOnlyDictionary<int, long>? sizes = null, IReadOnlyList<IndexDecision>? lateBuilds = null)
    {
        if (jobs < 2 || streamed || options.SplitTableSize <= 0 || !ServerEncoding.IsUtf8(archive))
            return [];
        sizes ??= DataSizes(archive);
        var bare = BareWhileLoading(archive, lateBuilds ?? []);
        return entries.Where(e => e.Type == "TABLE DATA" && e.CopyStatement is not null && sizes.TryGetValue(e.DumpId, out long size) && size >= options.SplitTableSize
                                  && !bare.Contains(e.DumpId))
            .OrderByDescending(e => sizes[e.DumpId]).ToList();
    }

    /// <summary>
    /// The data of tables whose every index is built late, after the rows: nothing is maintained while they load, so
    /// more sessions only contend for the one heap (two sessions took 8.5 s of COPY for what one does in 4.0 s), and
    /// their interleaved rows leave the heap out of the dump's order, which the late sorts then pay for (a sort of
    /// rows already in key order is nearly free). One session loads them, as pg_restore does.
    /// </summary>
    internal static HashSet<int> BareWhileLoading(DumpArchive archive, IReadOnlyList<IndexDecision> lateBuilds)
    {
        var bare = new HashSet<int>();
        if (lateBuilds.Count == 0)
            return bare;
        var late = lateBuilds.Select(b => b.Entry.DumpId).ToHashSet();
        var indexesOf = archive.Entries.Where(e => EntryRules.BuildsIndex(e) && e.Type != "INDEX ATTACH")
            .Select(e => (Index: e, Table: AutoIndexPlanner.TableOf(archive, e)))
            .Where(x => x.Table is not null).ToLookup(x => x.Table!.DumpId, x => x.Index.DumpId);
        foreach (var build in lateBuilds.Where(b => b.TableDataId is not null))
        {
            if (AutoIndexPlanner.TableOf(archive, build.Entry) is { } table && indexesOf[table.DumpId].All(late.Contains))
                bare.Add(build.TableDataId!.Value);
        }
        return bare;
    }

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
