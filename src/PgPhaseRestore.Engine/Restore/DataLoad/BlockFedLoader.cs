using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Shares of a custom archive's data phase loaded by pg_restore reading standard input: the TOC and the blocks of
/// its entries, from a bucket by ranged GETs or from a local file written through a pipe. A table's pg_restore
/// cannot exit 0 before its block matched its SHA-256.
/// </summary>
internal sealed class BlockFedLoader(ArchiveBlockReader blocks, DumpArchive archive, string workDir, DataItemPgRestore pgRestore) : IDataItemLoader
{
    public string Location => blocks.Location;

    public IReadOnlyDictionary<int, long> Sizes { get; } = blocks.Sizes();

    public long? StoredAt(int dumpId) => blocks.BlockOf(dumpId)?.Offset;

    // One pg_restore reads the TOC and any number of blocks that follow it in file order.
    public bool LoadsTablesTogether => true;

    public Task<PgPhaseException?> LoadAsync(IReadOnlyList<TocEntry> entries, IReadOnlyList<TocEntry> tables, Action<long> progress, CancellationToken ct) =>
        pgRestore.RunAsync(entries, (stdin, token) => blocks.WriteAsync(stdin, entries, progress, token), blocks.Describe(entries), ct);

    public string Describe(TocEntry table) => "pg_restore -f - < " + blocks.Describe([table]);

    public Task<long> LoadSplitAsync(SplitTableLoader split, TocEntry table, int sessions, Action<SplitTableLoader.Progress>? progress, CancellationToken ct) =>
        split.LoadAsync(table, archive, sessions, workDir, progress, ct, (stdin, token) => blocks.WriteAsync(stdin, [table], null, token));
}
