namespace PgPhaseRestore.Engine.Storage;

/// <summary>Facts about a local archive that may be one file or a directory-format folder.</summary>
internal static class LocalPaths
{
    /// <summary>The file's length, or the sum of the folder's files; 0 when neither exists.</summary>
    public static long Size(string path) =>
        File.Exists(path) ? new FileInfo(path).Length
        : Directory.Exists(path) ? Directory.EnumerateFiles(path).Sum(f => new FileInfo(f).Length) : 0;
}
