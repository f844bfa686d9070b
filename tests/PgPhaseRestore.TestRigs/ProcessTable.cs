namespace PgPhaseRestore.TestRigs;

/// <summary>The machine's processes as /proc shows them: to find a child by its arguments, kill it, or read what others could see.</summary>
public static class ProcessTable
{
    public sealed record Entry(int Pid, string Name, IReadOnlyList<string> Arguments)
    {
        public string CommandLine => string.Join(' ', Arguments);

        /// <summary>The process's environment as /proc shows it (empty once it is gone).</summary>
        public IReadOnlyList<string> Environment()
        {
            try
            {
                return File.ReadAllText($"/proc/{Pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return [];
            }
        }

        /// <summary>The parent's pid (0 once the process is gone).</summary>
        public int ParentPid()
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{Pid}/stat");
                return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return 0;
            }
        }
    }

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    public static IReadOnlyList<Entry> All()
    {
        var result = new List<Entry>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            try
            {
                var raw = File.ReadAllText(Path.Combine(dir, "cmdline"));
                var args = raw.Split('\0', StringSplitOptions.RemoveEmptyEntries);
                var name = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                result.Add(new Entry(pid, name, args));
            }
            catch (IOException)
            {
                // Gone between listing and reading.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return result;
    }

    /// <summary>Processes named <paramref name="name"/> whose arguments contain <paramref name="argumentFragment"/>.</summary>
    public static IReadOnlyList<Entry> Find(string name, string argumentFragment) =>
        All().Where(e => e.Name == name && e.CommandLine.Contains(argumentFragment, StringComparison.Ordinal)).ToList();

    /// <summary>SIGKILLs the first matching process and waits until it is gone; returns its pid, or 0 if none ran.</summary>
    public static int Kill(string name, string argumentFragment)
    {
        var found = Find(name, argumentFragment).FirstOrDefault();
        if (found is null)
            return 0;
        using var process = System.Diagnostics.Process.GetProcessById(found.Pid);
        process.Kill();
        process.WaitForExit(10_000);
        return found.Pid;
    }
}
