using System.Diagnostics;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Before anything touches the target: every data block a restore needs lies within the local custom-format
/// archive, or the restore is refused naming the archive, the entry and the byte where the file ends. pg_restore
/// itself finds a cut archive only when its data phase reaches the block ("could not read from input file: end of
/// file", or with -j "could not find block ID"), after the schema is created.
/// </summary>
/// <remarks>
/// Cheap: with offsets in the TOC (pg_dump wrote a file) the blocks lie back to back, each ending where the next
/// begins, so only the last block that starts inside the file can be cut, and only it is walked. Without offsets
/// (pg_dump wrote to a pipe) the blocks are walked from the end of the TOC until each needed one has been seen
/// whole. A walk reads a block's header and each chunk's length in a small window, and seeks over the chunk's data
/// beyond it.
/// </remarks>
internal static class CustomBlockCheck
{
    // A block header and a chunk length with room to spare: rows of an uncompressed dump (a chunk each) pass in
    // memory, while a compressed dump's chunks (4 kB) are sought over.
    private const int WindowSize = 1024;

    public static void Run(DumpArchive archive, IEnumerable<TocEntry> entries, Action<string>? log, CancellationToken ct)
    {
        var needed = entries.Where(e => e.DataState is DataState.Offset or DataState.OffsetNotSet).DistinctBy(e => e.DumpId).ToList();
        if (needed.Count == 0)
            return;
        var clock = Stopwatch.StartNew();
        using var file = File.OpenHandle(archive.Source, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = RandomAccess.GetLength(file);
        var cut = needed.Exists(e => e.DataState == DataState.OffsetNotSet)
            ? WalkFromToc(file, length, archive, needed, log, ct)
            : CheckOffsets(file, length, archive, needed, log, ct);
        if (cut is not null)
            throw PgPhaseException.Format(archive.Source, length, cut.StartsWith(DamagedToc, StringComparison.Ordinal) ? cut : $"the archive is cut short: {cut}");
        log?.Invoke($"{archive.Source}: the data of {Plural.Of(needed.Count, "entry")} lies within the file (checked in {clock.Elapsed.TotalSeconds:F1} s)");
    }

    /// <summary>
    /// Offsets known: a needed block that starts at or past the end is missing; the last block that starts inside the
    /// file is whole only if its chunks end by the end of the file. Why the archive is refused, or null.
    /// </summary>
    private static string? CheckOffsets(SafeFileHandle file, long length, DumpArchive archive, List<TocEntry> needed, Action<string>? log, CancellationToken ct)
    {
        var missing = needed.Where(e => e.DataOffset >= length).OrderBy(e => e.DataOffset).ToList();
        var last = archive.Entries.Where(e => e.DataState == DataState.Offset && e.DataOffset < length).MaxBy(e => e.DataOffset);
        if (last is not null && needed.Exists(e => e.DumpId == last.DumpId))
        {
            var scanner = Walk(file, length, archive, last.DataOffset!.Value, s => s.Blocks.Count > 0, ct);
            if (scanner.Blocks.Count == 0 && NotUnderstood(archive, scanner, log) is null)
                return $"the data of {last.Label} starts at byte {N(last.DataOffset!.Value)} and runs past the end of the file at byte {N(length)}{More(missing.Count)}";
        }
        if (missing.Count == 0)
            return null;
        // An offset far past any size the file could have been cut from is a damaged TOC, not a short copy.
        var said = $"the data of {missing[0].Label} starts at byte {N(missing[0].DataOffset!.Value)} but the file ends at byte {N(length)}{More(missing.Count - 1)}";
        return missing[0].DataOffset > 2 * length + (1L << 30) ? $"{DamagedToc}{said}" : said;
    }

    private const string DamagedToc = "the archive's table of contents is damaged: it says that ";

    /// <summary>No offsets: the blocks, in TOC order, walked from the end of the TOC. Why the archive is refused, or null.</summary>
    private static string? WalkFromToc(SafeFileHandle file, long length, DumpArchive archive, List<TocEntry> needed, Action<string>? log, CancellationToken ct)
    {
        var wanted = needed.Select(e => e.DumpId).ToHashSet();
        int counted = 0, found = 0;
        var scanner = Walk(file, length, archive, archive.TocEndOffset, s =>
        {
            for (; counted < s.Blocks.Count; counted++)
                found += wanted.Contains(s.Blocks[counted].DumpId) ? 1 : 0;
            return found == wanted.Count;
        }, ct);
        if (found == wanted.Count || NotUnderstood(archive, scanner, log) is not null)
            return null;

        var whole = scanner.Blocks.Select(b => b.DumpId).ToHashSet();
        var missing = archive.Entries.Where(e => wanted.Contains(e.DumpId) && !whole.Contains(e.DumpId)).ToList();
        var open = scanner.OpenBlock;
        if (open is { DumpId: { } openId } && missing.Find(e => e.DumpId == openId) is { } cut)
            return $"the data of {cut.Label} starts at byte {N(open.Value.Offset)} and runs past the end of the file at byte {N(length)}{More(missing.Count - 1)}";
        var where = open switch
        {
            { DumpId: { } id } => $", inside the data of {archive.FindByDumpId(id)!.Label}, which starts at byte {N(open.Value.Offset)}",
            { } header => $", inside the header of the data block that starts at byte {N(header.Offset)}",
            _ when scanner.Blocks.Count > 0 => $", after the data of {archive.FindByDumpId(scanner.Blocks[^1].DumpId)!.Label}",
            _ => ", where its TOC ends and its first data block should start",
        };
        return $"the data of {missing[0].Label} is not in the file, which ends at byte {N(length)}{where}{More(missing.Count - 1)}";
    }

    /// <summary>
    /// Walks the data blocks from <paramref name="at"/> until <paramref name="done"/>, the end of the file, or
    /// something the scanner does not understand. Chunk data is sought over, never read.
    /// </summary>
    private static ArchiveBlockScanner Walk(SafeFileHandle file, long length, DumpArchive archive, long at, Func<ArchiveBlockScanner, bool> done, CancellationToken ct)
    {
        var scanner = ArchiveBlockScanner.FromDataBlock(archive, at);
        var window = new byte[WindowSize];
        long position = at;
        while (scanner.Problem is null && !done(scanner))
        {
            ct.ThrowIfCancellationRequested();
            long skip = Math.Min(scanner.Skippable, length - position);
            if (skip > 0)
            {
                scanner.Skipped(skip);
                position += skip;
                continue;
            }
            int n = position < length ? RandomAccess.Read(file, window.AsSpan(0, (int)Math.Min(WindowSize, length - position)), position) : 0;
            if (n == 0)
                break;
            // Whatever of the window the scanner only passes by is passed in memory; the rest of a chunk is sought over.
            scanner.Append(window.AsSpan(0, n));
            position += n;
        }
        return scanner;
    }

    /// <summary>A walk stopped by something other than the end of the file: not a cut, and not this check's to judge (pg_restore will say); logged.</summary>
    private static string? NotUnderstood(DumpArchive archive, ArchiveBlockScanner scanner, Action<string>? log)
    {
        if (scanner.Problem is { } problem)
            log?.Invoke($"{archive.Source}: its data blocks could not be checked before the restore ({problem}); pg_restore reads them as they are");
        return scanner.Problem;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string More(int count) => count > 0 ? $"; the data of {Plural.Of(count, "more entry")} is missing as well" : "";
}
