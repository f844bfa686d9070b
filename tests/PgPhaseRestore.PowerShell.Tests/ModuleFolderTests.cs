using System.Reflection;
using System.Text.RegularExpressions;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>The published module folder as users get it (its loading is tested in real PowerShell by the Pester suite).</summary>
public sealed class ModuleFolderTests : IClassFixture<ModuleFolderFixture>
{
    private readonly ModuleFolderFixture _f;

    public ModuleFolderTests(ModuleFolderFixture fixture) => _f = fixture;

    [Fact]
    public void The_folder_holds_the_manifest_root_module_formats_help_and_every_assembly_in_bin()
    {
        foreach (var file in new[] { "PgPhaseRestore.psd1", "PgPhaseRestore.psm1", "PgPhaseRestore.format.ps1xml", "en-US/PgPhaseRestore.PowerShell.dll-Help.xml", "en-US/about_PgPhaseRestore.help.txt" })
            Assert.True(File.Exists(Path.Combine(_f.Folder, file)), $"{file} is missing from the module folder");
        foreach (var file in new[] { "PgPhaseRestore.PowerShell.Loader.dll", "PgPhaseRestore.PowerShell.dll", "PgPhaseRestore.Engine.dll", "Npgsql.dll", "AWSSDK.Core.dll", "AWSSDK.S3.dll" })
            Assert.True(File.Exists(Path.Combine(_f.Folder, "bin", file)), $"bin/{file} is missing");
        // No assembly beside the manifest, and PowerShell's own never shipped: it must come from the host.
        Assert.Empty(Directory.GetFiles(_f.Folder, "*.dll"));
        Assert.False(File.Exists(Path.Combine(_f.Folder, "bin", "System.Management.Automation.dll")));
        var manifest = File.ReadAllText(Path.Combine(_f.Folder, "PgPhaseRestore.psd1"));
        Assert.Matches(@"RootModule\s*=\s*'PgPhaseRestore.psm1'", manifest);
        Assert.Matches(@"FormatsToProcess\s*=\s*@\('PgPhaseRestore.format.ps1xml'\)", manifest);
    }

    [Fact]
    public void Help_covers_every_cmdlet_and_parameter_with_examples()
    {
        var help = System.Xml.Linq.XDocument.Load(Path.Combine(_f.Folder, "en-US", "PgPhaseRestore.PowerShell.dll-Help.xml"));
        System.Xml.Linq.XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        System.Xml.Linq.XNamespace maml = "http://schemas.microsoft.com/maml/2004/10";
        var manifest = File.ReadAllText(Path.Combine(_f.Folder, "PgPhaseRestore.psd1"));
        var exported = Regex.Matches(Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\(([^)]*)\)").Groups[1].Value, "'([^']+)'").Select(m => m.Groups[1].Value).ToList();
        var documented = help.Root!.Elements(command + "command").ToDictionary(c => c.Element(command + "details")!.Element(command + "name")!.Value);
        Assert.Equal(exported.Order(), documented.Keys.Order());
        using var metadata = new CmdletMetadata();
        foreach (var (name, cmdlet) in documented)
        {
            Assert.NotEmpty(cmdlet.Element(command + "details")!.Element(maml + "description")!.Value.Trim());
            Assert.NotEmpty(cmdlet.Element(command + "examples")!.Elements(command + "example"));
            var parameters = cmdlet.Element(command + "parameters")!.Elements(command + "parameter").ToDictionary(p => p.Element(maml + "name")!.Value, p => p.Element(maml + "description")!.Value.Trim());
            foreach (var p in metadata.Parameters(metadata.Cmdlets[name]))
                Assert.True(parameters.TryGetValue(p.Name, out var text) && text.Length > 10, $"{name} -{p.Name} has no help");
        }
    }

    [Fact]
    public void The_cmdlet_assembly_references_no_dependency_directly()
    {
        using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(_f.Folder, "bin", "PgPhaseRestore.PowerShell.dll")));
        var reader = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        var references = reader.AssemblyReferences.Select(h => reader.GetString(reader.GetAssemblyReference(h).Name)).ToList();
        Assert.Contains("PgPhaseRestore.Engine", references);
        Assert.DoesNotContain(references, r => Regex.IsMatch(r, "^(Npgsql|AWSSDK|Microsoft.Extensions)"));
    }
}
