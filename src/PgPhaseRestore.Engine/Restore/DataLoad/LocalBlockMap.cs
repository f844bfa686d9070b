using System.Diagnostics;
using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// A custom archive that pg_dump wrote to a pipe and that was saved to a local file has no data offsets in its
/// TOC, so pg_restore -j cannot load it in parallel. Reading it once through the block scanner gives the same map
/// a bucket backup records while it streams, and the data phase then feeds each table's block to a pg_restore of
/// its own, as it does from a bucket.
/// </summary>
internal static class LocalBlockMap
{
    /// <summary>A reader of the archive's blocks, or null when it has offsets, is not a local custom file, or could not be mapped (said in the log).</summary>
    public static async Task<ArchiveBlockReader?> MapAsync(DumpArchive archive, Action<string>? log, CancellationToken ct)
    {
        if (archive.Format != ArchiveFormat.Custom || !File.Exists(archive.Source) || !archive.Entries.Any(e => e.DataState == DataState.OffsetNotSet))
            return null;
        var clock = Stopwatch.StartNew();
        var scanner = new ArchiveBlockScanner();
        long size;
        await using (var file = new FileStream(archive.Source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
        {
            var buffer = new byte[1 << 20];
            int n;
            while ((n = await file.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                scanner.Append(buffer.AsSpan(0, n));
            size = file.Length;
        }
        var map = scanner.Finish();
        if ((map is null ? scanner.Problem ?? "no map" : map.Mismatch(archive, size)) is { } why)
        {
            log?.Invoke($"{archive.Source} has no data offsets and its data blocks could not be mapped ({why}); the data phase reads it through one pg_restore");
            return null;
        }
        log?.Invoke($"{archive.Source} has no data offsets (pg_dump wrote it to a pipe): mapped {Plural.Of(map!.Blocks.Count, "data block")} by reading it once in {clock.Elapsed.TotalSeconds:F1} s");
        return ArchiveBlockReader.FromFile(archive.Source, map!);
    }
}
