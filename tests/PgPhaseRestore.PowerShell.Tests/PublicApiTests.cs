namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// The engine's public surface is deliberate: the public API analyzer holds it to PublicAPI.Shipped.txt at build
/// time, and here every public type is one a host uses or one listed as public on purpose, documented, and reached
/// by the hosts through the surface only. Plumbing is internal (the tests and benchmarks see it through
/// InternalsVisibleTo).
/// </summary>
public sealed class PublicApiTests : IClassFixture<PublicApiSurface>
{
    private readonly PublicApiSurface _api;

    public PublicApiTests(PublicApiSurface api) => _api = api;

    [Fact]
    public void Every_public_engine_type_is_used_by_a_host_or_public_on_purpose()
    {
        var used = _api.TypesUsedByHosts();
        var onPurpose = File.ReadAllLines(_api.OnPurposeFile)
            .Select(l => l.Split('#', 2)[0].Trim())
            .Where(l => l.Length > 0)
            .ToList();
        var publicTypes = _api.PublicTypes().Select(t => t.FullName!).ToHashSet();

        var unexplained = publicTypes.Where(t => !used.Contains(t) && !onPurpose.Contains(t)).Order().ToList();
        Assert.True(unexplained.Count == 0,
            "Public engine types that neither the CLI nor the cmdlets reference: make them internal, or list them with the reason in " +
            "src/PgPhaseRestore.Engine/PublicAPI.OnPurpose.txt:\n" + string.Join('\n', unexplained));

        // The list does not outlive its reasons.
        var stale = onPurpose.Where(t => !publicTypes.Contains(t) || used.Contains(t)).ToList();
        Assert.True(stale.Count == 0, "Listed in PublicAPI.OnPurpose.txt but internal, or referenced by a host after all:\n" + string.Join('\n', stale));
    }

    [Fact]
    public void Every_public_type_and_member_of_the_engine_is_documented()
    {
        // The build already fails on a missing comment (CS1591 is an error); this reads what it produced.
        var documented = System.Xml.Linq.XDocument.Load(Path.Combine(_api.CliDirectory, "PgPhaseRestore.Engine.xml"))
            .Descendants("member").Select(m => (string)m.Attribute("name")!).ToHashSet();
        var missing = _api.DocumentationIds().Where(id => !documented.Contains(id)).ToList();
        Assert.True(missing.Count == 0, "Public engine members without a doc comment:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void The_hosts_reach_the_engine_through_its_public_surface_only()
    {
        // No InternalsVisibleTo for a host: what a host needs is public, documented and in the baseline.
        var friends = _api.Engine.GetCustomAttributesData()
            .Where(a => a.AttributeType.FullName == "System.Runtime.CompilerServices.InternalsVisibleToAttribute")
            .Select(a => (string)a.ConstructorArguments[0].Value!)
            .ToList();
        Assert.Equal(["PgPhaseRestore.Demo", "PgPhaseRestore.Engine.Tests", "PgPhaseRestore.TestRigs"], friends.Order());
    }
}
