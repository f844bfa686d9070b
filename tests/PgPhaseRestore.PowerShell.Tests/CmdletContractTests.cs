using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using PgPhaseRestore.Tests.Shared;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>The conventions PowerShell users expect, asserted on the compiled cmdlets.</summary>
public sealed class CmdletContractTests : IClassFixture<CmdletMetadata>
{
    private readonly CmdletMetadata _m;

    public CmdletContractTests(CmdletMetadata metadata) => _m = metadata;

    [Fact]
    public void The_module_has_the_documented_cmdlets()
    {
        foreach (var name in new[] { "Get-PgDatabase", "Backup-PgDatabase", "Get-PgBackup", "Copy-PgDatabase", "Get-PgDumpToc", "Split-PgRestorePhases", "Invoke-PgPhaseRestore", "Test-PgPhaseRestore", "Switch-PgDatabase" })
            Assert.Contains(name, _m.Cmdlets.Keys);
    }

    [Fact]
    public void Every_cmdlet_uses_an_approved_verb()
    {
        var approved = new[] { "VerbsCommon", "VerbsData", "VerbsLifecycle", "VerbsDiagnostic", "VerbsCommunications", "VerbsSecurity", "VerbsOther" }
            .SelectMany(t => _m.Sma(t).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetRawConstantValue()!))
            .ToHashSet();
        Assert.Contains("Get", approved);
        Assert.All(_m.Cmdlets.Keys, name => Assert.Contains(name.Split('-')[0], approved));
    }

    [Fact]
    public void Every_cmdlet_declares_its_output_type()
    {
        Assert.All(_m.Cmdlets, c => Assert.True(_m.Attribute(c.Value, "OutputTypeAttribute") is not null, $"{c.Key} has no [OutputType]"));
    }

    [Fact]
    public void Cmdlets_that_change_a_database_or_write_files_support_WhatIf_and_Confirm()
    {
        foreach (var name in new[] { "Invoke-PgPhaseRestore", "Backup-PgDatabase", "Copy-PgDatabase", "Switch-PgDatabase", "Split-PgRestorePhases" })
        {
            var cmdlet = _m.Attribute(_m.Cmdlets[name], "CmdletAttribute")!;
            Assert.Equal(true, CmdletMetadata.Named(cmdlet, "SupportsShouldProcess"));
        }
        // Reading cmdlets never ask for confirmation.
        foreach (var name in new[] { "Get-PgDatabase", "Get-PgBackup", "Get-PgDumpToc", "Test-PgPhaseRestore" })
            Assert.NotEqual(true, CmdletMetadata.Named(_m.Attribute(_m.Cmdlets[name], "CmdletAttribute")!, "SupportsShouldProcess"));
    }

    [Fact]
    public void Cmdlets_that_can_replace_something_have_Force()
    {
        foreach (var name in new[] { "Invoke-PgPhaseRestore", "Backup-PgDatabase", "Copy-PgDatabase", "Switch-PgDatabase" })
            Assert.Contains(_m.Parameters(_m.Cmdlets[name]), p => p.Name == "Force" && p.PropertyType.Name == "SwitchParameter");
    }

    [Fact]
    public void Secrets_are_PSCredential_never_plain_strings()
    {
        foreach (var (name, type) in _m.Cmdlets)
        {
            foreach (var p in _m.Parameters(type))
            {
                bool secretName = Regex.IsMatch(p.Name, "Password|Secret|Credential|Token", RegexOptions.IgnoreCase);
                if (secretName)
                    Assert.True(p.PropertyType.FullName is "System.Management.Automation.PSCredential" or "System.Security.SecureString",
                        $"{name} -{p.Name} is {p.PropertyType.FullName}");
            }
        }
    }

    /// <summary>The documented pipelines bind without glue: by value or by property name, with a compatible type.</summary>
    [Theory]
    [InlineData("Get-PgDumpToc", "Split-PgRestorePhases")]
    [InlineData("Split-PgRestorePhases", "Invoke-PgPhaseRestore")]
    [InlineData("Get-PgDumpToc", "Test-PgPhaseRestore")]
    [InlineData("Get-PgDumpToc", "Invoke-PgPhaseRestore")]
    [InlineData("Get-PgDatabase", "Backup-PgDatabase")]
    [InlineData("Get-PgDatabase", "Copy-PgDatabase")]
    [InlineData("Get-PgBackup", "Get-PgDumpToc")]
    [InlineData("Get-PgBackup", "Split-PgRestorePhases")]
    [InlineData("Get-PgBackup", "Invoke-PgPhaseRestore")]
    [InlineData("Get-PgBackup", "Test-PgPhaseRestore")]
    [InlineData("Backup-PgDatabase", "Get-PgDumpToc")]
    [InlineData("Backup-PgDatabase", "Invoke-PgPhaseRestore")]
    public void Pipelines_bind(string from, string to)
    {
        var outputs = _m.Attributes(_m.Cmdlets[from], "OutputTypeAttribute")
            .SelectMany(a => ((IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!).Select(v => (Type)v.Value!))
            .ToList();
        var output = outputs.First();
        var bindings = new List<string>();
        foreach (var p in _m.Parameters(_m.Cmdlets[to]))
        {
            foreach (var attr in _m.Attributes(p, "ParameterAttribute"))
            {
                var elementType = p.PropertyType.IsArray ? p.PropertyType.GetElementType()! : p.PropertyType;
                if (CmdletMetadata.Named(attr, "ValueFromPipeline") is true && elementType.IsAssignableFrom(output))
                    bindings.Add($"-{p.Name} by value");
                if (CmdletMetadata.Named(attr, "ValueFromPipelineByPropertyName") is true)
                {
                    foreach (var alias in _m.NamesAndAliases(p))
                    {
                        var prop = output.GetProperty(alias);
                        if (prop is not null && (elementType.IsAssignableFrom(prop.PropertyType) || elementType.FullName == "System.String"))
                            bindings.Add($"-{p.Name} by property {alias}");
                    }
                }
            }
        }
        Assert.True(bindings.Count > 0, $"{output.Name} from {from} binds to no parameter of {to}");
    }

    [Theory]
    [InlineData("Invoke-PgPhaseRestore", "Phase", "PhaseCompleter")]
    [InlineData("Get-PgDatabase", "Name", "DatabaseNameCompleter")]
    [InlineData("Backup-PgDatabase", "Database", "DatabaseNameCompleter")]
    [InlineData("Copy-PgDatabase", "Database", "DatabaseNameCompleter")]
    [InlineData("Switch-PgDatabase", "Database", "DatabaseNameCompleter")]
    [InlineData("Switch-PgDatabase", "Replacement", "DatabaseNameCompleter")]
    [InlineData("Invoke-PgPhaseRestore", "TargetDatabase", "DatabaseNameCompleter")]
    [InlineData("Copy-PgDatabase", "TargetDatabase", "DatabaseNameCompleter")]
    public void Parameters_complete_their_values(string cmdlet, string parameter, string completer)
    {
        var p = _m.Parameters(_m.Cmdlets[cmdlet]).Single(x => x.Name == parameter);
        var attr = _m.Attribute(p, "ArgumentCompleterAttribute");
        Assert.NotNull(attr);
        Assert.Equal(completer, ((Type)attr!.ConstructorArguments[0].Value!).Name);
    }

    [Fact]
    public void Strategies_and_formats_complete_as_enums()
    {
        foreach (var (cmdlet, parameter) in new[] { ("Split-PgRestorePhases", "Strategy"), ("Invoke-PgPhaseRestore", "Strategy"), ("Copy-PgDatabase", "Strategy"), ("Backup-PgDatabase", "Format"), ("Copy-PgDatabase", "Format"), ("Backup-PgDatabase", "S3Compatibility") })
            Assert.True(_m.Parameters(_m.Cmdlets[cmdlet]).Single(x => x.Name == parameter).PropertyType.IsEnum, $"{cmdlet} -{parameter}");
    }

    [Fact]
    public void Every_output_type_reads_as_a_table_by_default()
    {
        var formats = File.ReadAllText(Path.Combine(_m.RepoRoot, "module", "PgPhaseRestore.format.ps1xml"));
        // Strings and bools (Test-PgPhaseRestore -Quiet) read as themselves.
        Assert.All(OutputTypes().Where(t => t is not ("System.String" or "System.Boolean")), type => Assert.Contains($"<TypeName>{type}</TypeName>", formats));
    }

    [Fact]
    public void Every_output_type_is_one_the_output_secret_test_serialises()
    {
        // The list lives beside both test projects: the engine test serialises one object of each type it names.
        Assert.Equal(CmdletOutputTypes.All.Order(), OutputTypes().Order());
    }

    private IEnumerable<string> OutputTypes() => _m.Cmdlets.Values
        .SelectMany(t => _m.Attributes(t, "OutputTypeAttribute"))
        .SelectMany(a => ((IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!).Select(v => (Type)v.Value!))
        .Select(t => t.FullName!)
        .Distinct();

    [Fact]
    public void The_manifest_exports_exactly_the_compiled_cmdlets()
    {
        var manifest = File.ReadAllText(Path.Combine(_m.RepoRoot, "PgPhaseRestore.psd1"));
        var block = Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\(([^)]*)\)").Groups[1].Value;
        var exported = Regex.Matches(block, "'([^']+)'").Select(m => m.Groups[1].Value).Order().ToArray();
        Assert.Equal(_m.Cmdlets.Keys.Order().ToArray(), exported);
        Assert.Matches(@"PowerShellVersion\s*=\s*'7\.4'", manifest);
        Assert.Matches(@"CompatiblePSEditions\s*=\s*@\('Core'\)", manifest);
    }

    [Fact]
    public void No_cmdlet_writes_to_the_console_directly()
    {
        using var pe = new PEReader(File.OpenRead(Path.Combine(_m.ModuleDirectory, "PgPhaseRestore.PowerShell.dll")));
        var reader = pe.GetMetadataReader();
        var referenced = reader.TypeReferences.Select(h => reader.GetTypeReference(h))
            .Select(t => reader.GetString(t.Namespace) + "." + reader.GetString(t.Name)).ToList();
        Assert.DoesNotContain("System.Console", referenced);
    }

    [Fact]
    public void Cmdlets_stay_thin_and_reference_no_process_or_sql_api()
    {
        using var pe = new PEReader(File.OpenRead(Path.Combine(_m.ModuleDirectory, "PgPhaseRestore.PowerShell.dll")));
        var reader = pe.GetMetadataReader();
        var referenced = reader.TypeReferences.Select(h => reader.GetTypeReference(h))
            .Select(t => reader.GetString(t.Namespace) + "." + reader.GetString(t.Name)).ToList();
        Assert.DoesNotContain("System.Diagnostics.Process", referenced);
        Assert.DoesNotContain("Npgsql.NpgsqlCommand", referenced);
        Assert.DoesNotContain("Amazon.S3.AmazonS3Client", referenced);
    }
}
