using System.Text;
using Microsoft.Win32.SafeHandles;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Before anything touches the target: each data file a restore of a local directory-format archive needs is
/// there and not visibly cut, or the restore is refused naming the file. pg_restore itself finds a missing or cut
/// file only when its data phase opens it, after the schema is created.
/// </summary>
/// <remarks>
/// Cheap, as the check of a custom archive: no data is read. A file of COPY rows ends with pg_dump's "\." line; a
/// gzip file has at least a gzip header and trailer. A gzip stream cut in its middle looks whole from outside (only
/// inflating all of it would tell), unless the backup's manifest records the file's size, which is compared.
/// </remarks>
internal static class DirectoryDataCheck
{
    // A gzip member's 10-byte header, an empty deflate stream and the 8-byte trailer.
    private const int SmallestGzip = 20;

    public static void Run(DumpArchive archive, IEnumerable<TocEntry> entries)
    {
        foreach (var entry in entries.Where(e => e.DataState == DataState.File).DistinctBy(e => e.DumpId))
        {
            if (entry.Type == "BLOBS")
                CheckLargeObjects(archive, entry);
            else
                CheckFile(archive, entry, entry.DataFile!);
        }
    }

    /// <summary>The large objects' own table of contents (never compressed), then the file of each object it lists.</summary>
    private static void CheckLargeObjects(DumpArchive archive, TocEntry entry)
    {
        var toc = Path.Combine(archive.Source, entry.DataFile!);
        if (!File.Exists(toc))
            throw Missing(archive, entry, entry.DataFile!);
        var listed = LargeObjectsToc.Parse(File.ReadLines(toc, Encoding.ASCII));
        LargeObjectsToc.RequireEvery(archive, listed, toc, new FileInfo(toc).Length);
        foreach (var (_, file) in listed)
            CheckFile(archive, entry, file);
    }

    /// <summary>
    /// The name of a local directory's file whose size is not what its manifest records (or that is gone), with
    /// both sizes; null when every file the manifest lists is there at its size.
    /// </summary>
    public static string? ManifestMismatch(string directory, BackupManifest manifest)
    {
        foreach (var recorded in manifest.Files)
        {
            var info = new FileInfo(Path.Combine(directory, recorded.Name));
            if (!info.Exists)
                return $"{recorded.Name} is missing (its manifest records {recorded.Size} bytes)";
            if (info.Length != recorded.Size)
                return $"{recorded.Name} is {info.Length} bytes but its manifest says {recorded.Size}";
        }
        return null;
    }

    /// <summary>
    /// The file pg_restore would open for <paramref name="name"/> (as named, else with a compression suffix), checked
    /// for a visible cut.
    /// </summary>
    private static void CheckFile(DumpArchive archive, TocEntry entry, string name)
    {
        var found = DirectoryDataFile.Find(archive.Source, name);
        if (found is null)
            throw Missing(archive, entry, name + Suffix(archive.Header.Compression));
        var path = Path.Combine(archive.Source, found);
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = RandomAccess.GetLength(file);
        if (found.EndsWith(".gz", StringComparison.Ordinal))
        {
            Span<byte> magic = stackalloc byte[2];
            if (length < SmallestGzip || RandomAccess.Read(file, magic, 0) < 2 || magic[0] != 0x1f || magic[1] != 0x8b)
                throw Cut(archive, entry, found, length, $"{length} bytes are not a whole gzip stream");
        }
        else if (found == name && entry.Type == "TABLE DATA" && !string.IsNullOrEmpty(entry.CopyStatement) && !EndsWithEndOfData(file, length))
        {
            throw Cut(archive, entry, found, length, "its rows do not end with the \\. line pg_dump writes after them");
        }
    }

    /// <summary>Whether the file ends with "\." on a line of its own, then nothing but line ends (pg_dump writes "\.\n\n").</summary>
    private static bool EndsWithEndOfData(SafeFileHandle file, long length)
    {
        var tail = new byte[(int)Math.Min(64, length)];
        int n = RandomAccess.Read(file, tail, length - tail.Length);
        var text = tail.AsSpan(0, n).TrimEnd((byte)'\n');
        return text.EndsWith("\\."u8) && (text.Length == 2 && n == length || text.Length > 2 && text[^3] == (byte)'\n');
    }

    private static string Suffix(CompressionAlgorithm compression) => compression switch
    {
        CompressionAlgorithm.Gzip => ".gz",
        CompressionAlgorithm.Lz4 => ".lz4",
        CompressionAlgorithm.Zstd => ".zst",
        _ => "",
    };

    private static PgPhaseException Missing(DumpArchive archive, TocEntry entry, string file) =>
        PgPhaseException.Format(archive.Source, null, $"the data file {file} of {entry.Label} is missing");

    private static PgPhaseException Cut(DumpArchive archive, TocEntry entry, string file, long length, string why) =>
        PgPhaseException.Format(Path.Combine(archive.Source, file), length, $"the data file of {entry.Label} is cut short: {why}");
}
