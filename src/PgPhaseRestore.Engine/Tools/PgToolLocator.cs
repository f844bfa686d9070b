using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PgPhaseRestore.Engine.Tools;

/// <summary>A located client program and its major version.</summary>
public sealed record PgTool(string Name, string Path, int MajorVersion, string VersionText);

/// <summary>Finds pg_dump and pg_restore: an explicit path, then PATH, then /usr/lib/postgresql/*/bin; newest first.</summary>
public static partial class PgToolLocator
{
    public static IReadOnlyList<PgTool> FindAll(string name, string? explicitPath = null)
    {
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(explicitPath))
        {
            var path = Directory.Exists(explicitPath) ? System.IO.Path.Combine(explicitPath, name) : explicitPath;
            if (!File.Exists(path))
                throw new InvalidOperationException($"{name} was not found at {path}");
            candidates.Add(path);
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

        var found = new List<PgTool>();
        var seen = new HashSet<string>();
        foreach (var path in candidates.Where(File.Exists))
        {
            var real = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? System.IO.Path.GetFullPath(path);
            if (!seen.Add(real))
                continue;
            if (Probe(name, path) is { } tool)
                found.Add(tool);
        }
        return found.OrderByDescending(t => t.MajorVersion).ToList();
    }

    /// <summary>The newest tool of at least the given major version, or a clear error saying what was found.</summary>
    public static PgTool Find(string name, int minimumMajor, string why, string? explicitPath = null)
    {
        var all = FindAll(name, explicitPath);
        var fit = all.FirstOrDefault(t => t.MajorVersion >= minimumMajor);
        if (fit is not null)
            return fit;
        var seen = all.Count == 0 ? "none was found on PATH or in /usr/lib/postgresql/*/bin" :
            "found only " + string.Join(", ", all.Select(t => $"{t.MajorVersion} at {t.Path}"));
        throw new InvalidOperationException($"{why} needs {name} {minimumMajor} or later; {seen}. Install postgresql-client-{minimumMajor} or pass its path");
    }

    private static PgTool? Probe(string name, string path)
    {
        try
        {
            var psi = new ProcessStartInfo(path, "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            ChildEnvironment.Apply(psi);
            using var p = Process.Start(psi);
            if (p is null)
                return null;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit(10_000);
            var m = VersionPattern().Match(text);
            return m.Success ? new PgTool(name, path, int.Parse(m.Groups[1].Value), text) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>The pg_restore major version that can read an archive version (pg_restore refuses newer ones).</summary>
    public static int PgRestoreMajorFor(Archive.ArchiveVersion version) => version.Minor switch
    {
        >= 16 => 17,
        15 => 16,
        14 => 12,
        _ => 9,
    };

    [GeneratedRegex(@"\(PostgreSQL\)\s+(\d+)")]
    private static partial Regex VersionPattern();
}
