using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PgPhaseRestore.Engine.Processes;

/// <summary>A located client program and its major version.</summary>
internal sealed record PgTool(string Name, string Path, int MajorVersion, string VersionText);

/// <summary>Finds pg_dump and pg_restore: an explicit path, then PATH, then /usr/lib/postgresql/*/bin; newest first.</summary>
internal static partial class PgToolLocator
{
    public static IReadOnlyList<PgTool> FindAll(string name, string? explicitPath = null)
    {
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(explicitPath))
        {
            var path = Directory.Exists(explicitPath) ? System.IO.Path.Combine(explicitPath, name) : explicitPath;
            if (!File.Exists(path))
                throw PgPhaseException.OfOption(OptionOf(name), $"{name} was not found at {path}", PgPhaseErrorCode.InvalidInput);
            // A path given on purpose that is not the tool gets the reason, not "none was found".
            var probe = Probe(name, path);
            return probe.Tool is { } tool ? [tool] : throw PgPhaseException.OfOption(OptionOf(name), $"{path} is not {name}: {probe.Problem}", PgPhaseErrorCode.InvalidInput);
        }
        else
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                candidates.Add(System.IO.Path.Combine(dir, name));
            foreach (var root in new[] { "/usr/lib/postgresql", "/usr/pgsql" })
            {
                if (Directory.Exists(root))
                    candidates.AddRange(Directory.GetDirectories(root).Select(d => System.IO.Path.Combine(d, "bin", name)));
            }
            candidates.AddRange(Directory.Exists("/usr") ? Directory.GetDirectories("/usr", "pgsql-*").Select(d => System.IO.Path.Combine(d, "bin", name)) : []);
        }

        // Each program once, by its real path (after links).
        var programs = new List<string>();
        var wrappers = new List<string>();
        var seen = new HashSet<string>();
        foreach (var path in candidates.Where(File.Exists))
        {
            var real = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? System.IO.Path.GetFullPath(path);
            if (seen.Add(real))
                (IsDebianWrapper(real) ? wrappers : programs).Add(path);
        }
        // Debian's pg_wrapper, a perl script that picks one of /usr/lib/postgresql/*/bin and runs it at every start, is
        // probed only when none of those is found: the same programs, run directly, spare perl's start at each run.
        var found = ProbeAll(name, programs);
        if (found.Count == 0)
            found = ProbeAll(name, wrappers);
        return found.OrderByDescending(t => t.MajorVersion).ToList();
    }

    /// <summary>The tools among <paramref name="paths"/>, in their order, probed side by side (each probe starts a process).</summary>
    private static List<PgTool> ProbeAll(string name, List<string> paths)
    {
        var probes = paths.Select(path => Task.Run(() => Probe(name, path).Tool)).ToArray();
        // Each awaited in turn: a probe's own exception comes through as it is, not wrapped.
        return probes.Select(p => p.GetAwaiter().GetResult()).OfType<PgTool>().ToList();
    }

    private static bool IsDebianWrapper(string realPath) => realPath.EndsWith("/postgresql-common/pg_wrapper", StringComparison.Ordinal);

    /// <summary>The newest tool of at least the given major version, or a clear error saying what was found.</summary>
    public static PgTool Find(string name, int minimumMajor, string why, string? explicitPath = null)
    {
        var all = FindAll(name, explicitPath);
        var fit = all.FirstOrDefault(t => t.MajorVersion >= minimumMajor);
        if (fit is not null)
            return fit;
        var seen = all.Count == 0 ? "none was found on PATH or in /usr/lib/postgresql/*/bin" :
            "found only " + string.Join(", ", all.Select(t => $"{t.MajorVersion} at {t.Path}"));
        throw PgPhaseException.OfOption(OptionOf(name), $"{why} needs {name} {minimumMajor} or later; {seen}. Install postgresql-client-{minimumMajor} or pass its path",
            explicitPath is null ? PgPhaseErrorCode.NotFound : PgPhaseErrorCode.InvalidInput);
    }

    /// <summary>The option that gives the tool's path: what a host names when the tool is missing or wrong.</summary>
    private static string OptionOf(string name) => name == "pg_dump" ? nameof(Backup.BackupOptions.PgDumpPath) : nameof(Restore.RestoreOptions.PgRestorePath);

    /// <summary>Runs `path --version`: the tool, or what is wrong with the file as that tool.</summary>
    private static (PgTool? Tool, string Problem) Probe(string name, string path)
    {
        var run = $"`{path} --version`";
        Process? p;
        try
        {
            var psi = new ProcessStartInfo(path, "--version")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
            };
            ChildEnvironment.Apply(psi);
            p = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (null, $"it cannot be run ({ex.Message})");
        }
        if (p is null)
            return (null, $"{run} did not start");
        using (p)
        {
            // Something that is not the tool may wait for input or never exit: give it no stdin and a deadline.
            p.StandardInput.Close();
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(10_000))
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }
                return (null, $"{run} did not finish within 10 seconds");
            }
            p.WaitForExit();
            var text = stdout.Result.Trim();
            var errors = stderr.Result.Trim();
            var m = VersionPattern().Match(text);
            if (m.Success && m.Groups[1].Value == name)
                return (new PgTool(name, path, int.Parse(m.Groups[2].Value), text), "");
            if (m.Success)
                return (null, $"{run} printed \"{FirstLine(text)}\": that is {m.Groups[1].Value}");
            var said = text.Length > 0 ? $"printed \"{FirstLine(text)}\""
                : errors.Length > 0 ? $"printed nothing but \"{FirstLine(errors)}\" on stderr" : "printed nothing";
            var exited = p.ExitCode == 0 ? "" : $" and exited with code {p.ExitCode}";
            return (null, $"{run} {said}{exited}, not \"{name} (PostgreSQL) N\"");
        }
    }

    private static string FirstLine(string text)
    {
        int nl = text.IndexOf('\n');
        var line = (nl < 0 ? text : text[..nl]).Trim();
        return line.Length > 120 ? line[..120] + "..." : line;
    }

    /// <summary>The pg_restore major version that can read an archive version (pg_restore refuses newer ones).</summary>
    public static int PgRestoreMajorFor(Archive.ArchiveVersion version) => version.Minor switch
    {
        >= 16 => 17,
        15 => 16,
        14 => 12,
        _ => 9,
    };

    [GeneratedRegex(@"^(\S+)\s+\(PostgreSQL\)\s+(\d+)", RegexOptions.Multiline)]
    private static partial Regex VersionPattern();
}
