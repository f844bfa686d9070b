namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// The file a directory archive keeps an entry's data in: as its TOC names it or, as pg_restore looks for it, with
/// the suffix of its compression.
/// </summary>
internal static class DirectoryDataFile
{
    private static readonly string[] Suffixes = ["", ".gz", ".lz4", ".zst"];

    /// <summary>The name, relative to <paramref name="folder"/>, of the file that holds <paramref name="name"/>'s data, or null when there is none.</summary>
    public static string? Find(string folder, string name) =>
        Suffixes.Select(suffix => name + suffix).FirstOrDefault(candidate => File.Exists(Path.Combine(folder, candidate)));
}
