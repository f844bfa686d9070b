using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// How the shares of a data phase whose tables load side by side are loaded, by where their data lies: blocks of a
/// custom archive fed to pg_restore (<see cref="BlockFedLoader"/>), or the members of a tar archive copied straight
/// into the target (<see cref="TarMemberLoader"/>).
/// </summary>
internal interface IDataItemLoader
{
    /// <summary>Where the data comes from, for messages.</summary>
    string Location { get; }

    /// <summary>Each entry's data as stored, by dump id: the tables that load on their own, biggest first, and what the meter counts.</summary>
    IReadOnlyDictionary<int, long> Sizes { get; }

    /// <summary>Where an entry's data lies in the archive, for entries loaded together in storage order; null when it has none.</summary>
    long? StoredAt(int dumpId);

    /// <summary>Whether one load can take several tables (one process for many small tables, instead of one each).</summary>
    bool LoadsTablesTogether { get; }

    /// <summary>
    /// Loads <paramref name="entries"/>: the <paramref name="tables"/> among them, or, when there are none, entries
    /// that are not tables of their own. Returns the failure (its code says whether the archive is damaged), or null when
    /// everything committed.
    /// <paramref name="progress"/> gets the bytes of data read so far.
    /// </summary>
    Task<PgPhaseException?> LoadAsync(IReadOnlyList<TocEntry> entries, IReadOnlyList<TocEntry> tables, Action<long> progress, CancellationToken ct);

    /// <summary>Where one table's rows are read from, for debug output.</summary>
    string Describe(TocEntry table);

    /// <summary>Loads one big table over <paramref name="sessions"/> sessions through <paramref name="split"/>; returns its rows.</summary>
    Task<long> LoadSplitAsync(SplitTableLoader split, TocEntry table, int sessions, Action<SplitTableLoader.Progress>? progress, CancellationToken ct);
}
