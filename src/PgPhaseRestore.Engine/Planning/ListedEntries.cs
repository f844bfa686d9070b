using System.Globalization;
using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// The entries that edited pg_restore list files keep (the files phases write, or `pg_restore -l` output): every line
/// "dumpId; ..." that is not commented out with ';'. Applied to a plan, they restrict each phase to what they list,
/// as pg_restore -L restricts a restore, and the phases still run in the plan's order, which keeps every entry after
/// what it depends on (the order of the lines does not matter).
/// </summary>
public sealed class ListedEntries
{
    private readonly HashSet<int> _ids;

    private ListedEntries(HashSet<int> ids, IReadOnlyList<string> files)
    {
        _ids = ids;
        Files = files;
    }

    /// <summary>The list files read.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Reads list files; an entry listed in any of them is kept.</summary>
    /// <exception cref="PgPhaseException">A file cannot be read, or a line is neither a comment nor an entry.</exception>
    public static ListedEntries Read(IReadOnlyList<string> files)
    {
        if (files.Count == 0)
            throw new PgPhaseException("no list file given", PgPhaseErrorCode.InvalidInput);
        var ids = new HashSet<int>();
        foreach (var file in files)
        {
            string[] lines;
            if (Directory.Exists(file))
                throw new PgPhaseException($"list file {file} is a folder: give the list file itself (as a plan or a TOC listing wrote it)", PgPhaseErrorCode.InvalidInput);
            try
            {
                lines = File.ReadAllLines(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw PgPhaseException.Wrap($"list file {file} cannot be read: {ex.Message}", ex, PgPhaseErrorCode.Failed);
            }
            for (int i = 0; i < lines.Length; i++)
                if (ParseLine(lines[i], file, i + 1) is { } id)
                    ids.Add(id);
        }
        return new ListedEntries(ids, files);
    }

    /// <summary>The dump id of an entry line; null for a comment or a blank line.</summary>
    private static int? ParseLine(string line, string file, int number)
    {
        var text = line.Trim();
        if (text.Length == 0 || text[0] == ';')
            return null;
        int end = text.IndexOf(';', StringComparison.Ordinal);
        if (end > 0 && int.TryParse(text.AsSpan(0, end).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            return id;
        throw new PgPhaseException($"{file} line {number}: \"{line}\" is neither a comment (;) nor an entry (dumpId; ...)", PgPhaseErrorCode.ListFileInvalid);
    }

    /// <summary>
    /// The phases, each restricted to the listed entries; a phase that keeps none is left out. Every listed entry
    /// must be in the archive; one that the plan leaves out (a filter, or what it depends on) stays out, and is
    /// returned in <paramref name="notPlanned"/>.
    /// </summary>
    /// <exception cref="PgPhaseException">An entry listed that the archive does not have (a list of another archive), or nothing left to run.</exception>
    public IReadOnlyList<RestorePhase> Apply(IReadOnlyList<RestorePhase> phases, out IReadOnlyList<TocEntry> notPlanned)
    {
        if (phases.Count == 0)
            throw new PgPhaseException("no phases to restrict", PgPhaseErrorCode.InvalidInput);
        var archive = phases[0].Archive;
        var missing = _ids.Where(id => archive.FindByDumpId(id) is null).Order().ToList();
        if (missing.Count > 0)
            throw new PgPhaseException($"{string.Join(", ", Files)}: {archive.Source} has no entry {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", ..." : "")}: is the list from another archive?", PgPhaseErrorCode.ListFileInvalid);

        var planned = phases.SelectMany(p => p.Entries).Select(e => e.DumpId).ToHashSet();
        notPlanned = _ids.Where(id => !planned.Contains(id)).Order().Select(id => archive.FindByDumpId(id)!).ToList();
        var kept = phases.Select(Restrict).Where(p => p.EntryCount > 0).ToList();
        return kept.Count > 0 ? kept : throw new PgPhaseException($"{string.Join(", ", Files)}: no entry listed is in the phases given", PgPhaseErrorCode.ListFileInvalid);
    }

    /// <summary>
    /// The indexes and index-backed constraints the plan builds after their table's rows (Auto's late builds, listed in
    /// the data phase's file) that these lists leave out while they keep the table itself: phases 1, 2 and 4 from their
    /// files make the schema without them, and a foreign key that needs one fails. A host warns of each, since the
    /// lists run as they are.
    /// </summary>
    public IReadOnlyList<TocEntry> LateBuildsLeftOut(IReadOnlyList<RestorePhase> phases)
    {
        if (phases.Count == 0)
            return [];
        var archive = phases[0].Archive;
        return phases.SelectMany(p => p.LateBuilds).Select(b => b.Entry)
            .Where(e => !_ids.Contains(e.DumpId) && AutoIndexPlanner.TableOf(archive, e) is { } table && _ids.Contains(table.DumpId))
            .DistinctBy(e => e.DumpId).ToList();
    }

    private RestorePhase Restrict(RestorePhase phase)
    {
        var entries = phase.Entries.Where(e => _ids.Contains(e.DumpId)).ToList();
        // A late index build waits for its table's rows: it stays late only when those rows are listed too; otherwise
        // it runs at its place in the list, on whatever the table holds.
        var late = phase.LateBuilds.Where(b => _ids.Contains(b.Entry.DumpId) && b.TableDataId is { } data && _ids.Contains(data)).ToList();
        return new RestorePhase(phase.Archive, phase.Kind, phase.Strategy, entries, late, phase.MemoryBudget);
    }
}
