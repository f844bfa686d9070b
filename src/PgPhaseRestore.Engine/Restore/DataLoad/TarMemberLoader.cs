using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Shares of a local tar archive's data phase. pg_restore reads a tar archive front to back in one process, so
/// its tables would load one after another; but each table's rows are a member of their own, stored as COPY text,
/// so each is read from its offset and copied straight into the target over sessions set up as pg_restore's
/// (<see cref="SplitTableLoader"/>), several tables at once. The entries that are not tables of their own
/// (sequence values, large objects) go through one pg_restore of the archive.
/// </summary>
internal sealed class TarMemberLoader : IDataItemLoader
{
    private readonly TarMemberMap _members;
    private readonly Dictionary<int, TarMember> _byId;
    private readonly SplitTableLoader _copy;
    private readonly DataItemPgRestore _pgRestore;

    private TarMemberLoader(TarMemberMap members, Dictionary<int, TarMember> byId, SplitTableLoader copy, DataItemPgRestore pgRestore)
    {
        _members = members;
        _byId = byId;
        _copy = copy;
        _pgRestore = pgRestore;
        Sizes = byId.ToDictionary(p => p.Key, p => p.Value.Size);
    }

    /// <summary>
    /// A loader for a local tar archive whose data is UTF-8 (the sessions pass rows through unconverted), or null,
    /// said in the log when the archive is tar, for other archives.
    /// </summary>
    public static async Task<TarMemberLoader?> TryCreateAsync(DumpArchive archive, SplitTableLoader copy, DataItemPgRestore pgRestore, Action<string>? log, CancellationToken ct)
    {
        if (archive.Format != ArchiveFormat.Tar || !File.Exists(archive.Source))
            return null;
        if (!ServerEncoding.IsUtf8(archive))
        {
            log?.Invoke($"{archive.Source}: its data is not UTF-8, so its tables load through one pg_restore, one after another");
            return null;
        }
        var members = await TarMemberMap.ReadAsync(archive.Source, ct).ConfigureAwait(false);
        var byId = members.TableData(archive);
        foreach (var id in archive.Entries.Where(e => e.CopyStatement is null).Select(e => e.DumpId))
            byId.Remove(id); // no COPY to send its rows with: pg_restore loads it
        return new TarMemberLoader(members, byId, copy, pgRestore);
    }

    public string Location => _members.Path;

    public IReadOnlyDictionary<int, long> Sizes { get; }

    public long? StoredAt(int dumpId) => _byId.GetValueOrDefault(dumpId)?.Offset;

    // Each table is a COPY of its own; a share of several would only load them one after another.
    public bool LoadsTablesTogether => false;

    public async Task<PgPhaseException?> LoadAsync(IReadOnlyList<TocEntry> entries, IReadOnlyList<TocEntry> tables, Action<long> progress, CancellationToken ct)
    {
        if (tables.Count == 0)
            return await _pgRestore.RunAsync(entries, null, null, ct).ConfigureAwait(false);
        try
        {
            long before = 0;
            foreach (var table in tables)
            {
                await LoadSplitAsync(_copy, table, 1, p => progress(before + p.Bytes), ct).ConfigureAwait(false);
                before += Sizes[table.DumpId];
            }
            return null;
        }
        catch (Exception ex) when (ex is PgPhaseException p && (PgPhaseErrors.IsRestore(p.Code) || PgPhaseErrors.IsConnect(p.Code))
                                   || ex is Npgsql.NpgsqlException or IOException or UnauthorizedAccessException)
        {
            return ex as PgPhaseException ?? PgPhaseException.Wrap(ex.Message, ex, PgPhaseErrorCode.RestoreFailed);
        }
    }

    public string Describe(TocEntry table)
    {
        var member = _byId[table.DumpId];
        return $"{_members.Path}: member {member.Name} (bytes {member.Offset}-{member.Offset + member.Size - 1})";
    }

    public Task<long> LoadSplitAsync(SplitTableLoader split, TocEntry table, int sessions, Action<SplitTableLoader.Progress>? progress, CancellationToken ct) =>
        split.LoadRowsAsync(table, () => Open(_byId[table.DumpId]), Describe(table), sessions, progress, ct);

    private Stream Open(TarMember member)
    {
        var file = new FileStream(_members.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        file.Seek(member.Offset, SeekOrigin.Begin);
        return new LengthLimitedStream(file, member.Size, ownsInner: true);
    }
}
