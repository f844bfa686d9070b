namespace PgPhaseRestore.Engine.Processes;

/// <summary>
/// Temp files and folders named after the process that made them (<c>prefix&lt;pid&gt;-&lt;random&gt;suffix</c>).
/// A process killed outright cannot remove its own; the next run removes those whose process is gone.
/// </summary>
internal static class ProcessScopedTemp
{
    public static string NewPath(string prefix, string suffix = "") =>
        Path.Combine(Path.GetTempPath(), $"{prefix}{Environment.ProcessId}-{Guid.NewGuid():N}{suffix}");

    public static string CreateDirectory(string prefix)
    {
        RemoveOrphans(prefix, "", directories: true);
        var path = NewPath(prefix);
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(path);
        else
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public static void RemoveOrphans(string prefix, string suffix, bool directories)
    {
        var temp = Path.GetTempPath();
        var found = directories ? Directory.EnumerateDirectories(temp, prefix + "*" + suffix) : Directory.EnumerateFiles(temp, prefix + "*" + suffix);
        foreach (var path in found)
        {
            var rest = Path.GetFileName(path)[prefix.Length..];
            int dash = rest.IndexOf('-');
            if (dash <= 0 || !int.TryParse(rest[..dash], out int pid) || pid == Environment.ProcessId || IsRunning(pid))
                continue;
            try
            {
                if (directories)
                    Directory.Delete(path, recursive: true);
                else
                    File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another user's, or in use: not ours to remove.
            }
        }
    }

    public static bool IsRunning(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
