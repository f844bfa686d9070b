using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Shares of a local custom archive with data offsets, or of a directory archive, each loaded by a pg_restore that
/// reads its entries' data from the archive itself. pg_restore -j does the same for a whole phase; this loader is
/// used instead when some tables go through one session of this process (<see cref="FrozenLoad"/>) beside the others.
/// </summary>
internal sealed class ArchiveFileLoader(DumpArchive archive, string workDir, DataItemPgRestore pgRestore) : IDataItemLoader
{
    public string Location => archive.Source;

    public IReadOnlyDictionary<int, long> Sizes { get; } = SplitTableChoice.DataSizes(archive);

    private readonly Dictionary<int, long> _offsets = archive.Format != ArchiveFormat.Custom ? []
        : archive.Entries.Where(e => e.DataOffset is > 0).ToDictionary(e => e.DumpId, e => e.DataOffset!.Value);

    public long? StoredAt(int dumpId) => _offsets.TryGetValue(dumpId, out long offset) ? offset : null;

    // pg_restore -L reads any number of entries' data from the file, each where it lies.
    public bool LoadsTablesTogether => true;

    public Task<PgPhaseException?> LoadAsync(IReadOnlyList<TocEntry> entries, IReadOnlyList<TocEntry> tables, Action<long> progress, CancellationToken ct) =>
        pgRestore.RunAsync(entries, null, null, ct);

    public string Describe(TocEntry table) => SplitTableLoader.Describe(table, archive);

    public Task<long> LoadSplitAsync(SplitTableLoader split, TocEntry table, int sessions, Action<SplitTableLoader.Progress>? progress, CancellationToken ct) =>
        split.LoadAsync(table, archive, sessions, workDir, progress, ct);

    /// <summary>Whether pg_restore can read each entry's data on its own from the archive: offsets in a custom file, or files of a directory.</summary>
    public static bool Reads(DumpArchive archive) =>
        archive.Format == ArchiveFormat.Custom && File.Exists(archive.Source) && archive.Entries.All(e => e.DataState != DataState.OffsetNotSet)
        || archive.Format == ArchiveFormat.Directory && Directory.Exists(archive.Source);
}
