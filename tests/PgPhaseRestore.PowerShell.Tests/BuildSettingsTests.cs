using System.Xml.Linq;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>The build's own rules, read from the project files: one place for package versions.</summary>
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
}
