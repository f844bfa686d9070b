using System.Xml.Linq;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// The build's own rules, read from the project files: one place for package versions, warnings that fail the build,
/// and documentation required of every public member of the shipped projects.
/// </summary>
public sealed class BuildSettingsTests
{
    private static readonly string RepoRoot = CmdletMetadata.FindRepoRoot();

    private static IEnumerable<string> Projects() =>
        new[] { "src", "tests", "tools", "bench" }.SelectMany(d => Directory.EnumerateFiles(Path.Combine(RepoRoot, d), "*.csproj", SearchOption.AllDirectories))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [Fact]
    public void Package_versions_are_central_and_no_project_names_one()
    {
        var central = XDocument.Load(Path.Combine(RepoRoot, "Directory.Packages.props"));
        Assert.Equal("true", central.Descendants("ManagePackageVersionsCentrally").Single().Value);
        var versioned = Projects()
            .SelectMany(p => XDocument.Load(p).Descendants("PackageReference")
                .Where(r => r.Attribute("Version") is not null || r.Attribute("VersionOverride") is not null)
                .Select(r => $"{Path.GetFileName(p)}: {r.Attribute("Include")?.Value}"))
            .ToList();
        Assert.Empty(versioned);
        var declared = central.Descendants("PackageVersion").Select(v => v.Attribute("Include")!.Value).ToHashSet();
        var used = Projects().SelectMany(p => XDocument.Load(p).Descendants("PackageReference").Select(r => r.Attribute("Include")!.Value)).ToHashSet();
        Assert.Equal(used.Order(), declared.Order());
    }

    [Fact]
    public void Warnings_fail_every_build_and_the_shipped_projects_document_every_public_member()
    {
        Assert.Equal("true", Property(Path.Combine(RepoRoot, "Directory.Build.props"), "TreatWarningsAsErrors"));
        // src/Directory.Build.props applies to the engine and both hosts (it imports the root one).
        Assert.Equal("true", Property(Path.Combine(RepoRoot, "src", "Directory.Build.props"), "GenerateDocumentationFile"));
        Assert.Contains("GetPathOfFileAbove('Directory.Build.props'", File.ReadAllText(Path.Combine(RepoRoot, "src", "Directory.Build.props")), StringComparison.Ordinal);

        // Nothing takes either back: no suppressed warning, no warning exempted, no documentation turned off.
        var files = Projects().Concat(Directory.EnumerateFiles(RepoRoot, "Directory.*.props", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}", StringComparison.Ordinal)));
        var loosened = files.SelectMany(f => XDocument.Load(f).Descendants()
                .Where(e => e.Name.LocalName is "NoWarn" or "WarningsNotAsErrors" or "NoError"
                            || (e.Name.LocalName is "TreatWarningsAsErrors" or "GenerateDocumentationFile" && e.Value.Trim() != "true"))
                .Select(e => $"{Path.GetRelativePath(RepoRoot, f)}: <{e.Name.LocalName}>{e.Value}</{e.Name.LocalName}>"))
            .ToList();
        Assert.Empty(loosened);
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(RepoRoot, "src"), "*.cs", SearchOption.AllDirectories),
            f => File.ReadAllText(f).Contains("#pragma warning disable", StringComparison.Ordinal));
    }

    private static string? Property(string file, string name) => XDocument.Load(file).Descendants(name).SingleOrDefault()?.Value.Trim();
}
