using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>
/// Who this process is (host, pid, process start time), whether another process still runs, and the names of
/// the per-run partial files that carry their writer's host and pid so that a later run can tell a killed
/// run's leftovers from a live run's work.
/// </summary>
internal static class RunIdentity
{
    public const string PartialSuffix = ".pgphase-partial";

    public static string Host { get; } = Regex.Replace(Environment.MachineName, "[^A-Za-z0-9.-]", "_");
    public static int Pid { get; } = Environment.ProcessId;
    public static DateTimeOffset? ProcessStarted { get; } = StartTime(Environment.ProcessId);

    public static bool IsThisHost(string host) => string.Equals(host, Host, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="pid"/> runs on this host; with <paramref name="started"/>, also that it is the same process and not a reuse of its pid.</summary>
    public static bool IsAlive(int pid, DateTimeOffset? started)
    {
        if (pid <= 0)
            return false;
        var actual = StartTime(pid);
        if (actual is null)
            return false;
        return started is null || (actual.Value - started.Value).Duration() < TimeSpan.FromSeconds(2);
    }

    private static DateTimeOffset? StartTime(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : process.StartTime.ToUniversalTime();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>"&lt;path&gt;.&lt;host&gt;.&lt;pid&gt;.&lt;run&gt;.pgphase-partial": unique per run, and says whose it is.</summary>
    public static string PartialPath(string path, string runId) => $"{path}.{Host}.{Pid}.{runId[..8]}{PartialSuffix}";

    /// <summary>The partial files and folders of <paramref name="location"/> and of its manifest, with their writers.</summary>
    public static IEnumerable<(string Path, string Host, int Pid)> Partials(string location)
    {
        var dir = Path.GetDirectoryName(location);
        var name = Path.GetFileName(location);
        if (dir is null || !Directory.Exists(dir))
            yield break;
        var pattern = new Regex("^" + Regex.Escape(name) + @"(\.manifest\.json)?\.(?<host>[^/]+)\.(?<pid>\d+)\.[0-9a-f]{8}" + Regex.Escape(PartialSuffix) + "$");
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, name + ".*" + PartialSuffix))
        {
            var m = pattern.Match(Path.GetFileName(entry));
            if (m.Success && int.TryParse(m.Groups["pid"].Value, out int pid))
                yield return (entry, m.Groups["host"].Value, pid);
        }
    }
}
