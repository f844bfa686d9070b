using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using static PgPhaseRestore.PowerShell.Tests.GeneratedHelp;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// The MAML help as Get-Help shows it: one SYNTAX block per parameter set, switches without a value, PowerShell type
/// names, INPUTS and OUTPUTS, whole-sentence synopses, and each parameter's required, position, pipeline input,
/// default and aliases. Checked against the cmdlets' metadata, which PowerShell binds by.
/// </summary>
public sealed class HelpTests : IClassFixture<GeneratedHelp>
{
    private const string AllSets = "__AllParameterSets";
    private readonly GeneratedHelp _help;
    private readonly CmdletMetadata _m;

    public HelpTests(GeneratedHelp help)
    {
        _help = help;
        _m = help.Metadata;
    }

    [Fact]
    public void Syntax_has_one_item_per_parameter_set_default_first_each_with_the_parameters_of_that_set()
    {
        Assert.Equal(_m.Cmdlets.Keys.Order(), _help.Commands.Keys.Order());
        foreach (var (name, type) in _m.Cmdlets)
        {
            var cmdlet = _m.Attribute(type, "CmdletAttribute")!;
            var defaultSet = CmdletMetadata.Named(cmdlet, "DefaultParameterSetName") as string;
            var named = _m.Parameters(type).SelectMany(Sets).Where(s => s != AllSets).Distinct().Order(StringComparer.Ordinal).ToList();
            var sets = named.Count == 0 ? [AllSets] : new[] { defaultSet }.OfType<string>().Concat(named.Where(s => s != defaultSet)).ToList();
            var items = _help.Commands[name].Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToList();
            Assert.True(sets.Count == items.Count, $"{name}: {items.Count} syntax items for the parameter sets {string.Join(", ", sets)}");

            var riskParameters = CmdletMetadata.Named(cmdlet, "SupportsShouldProcess") is true ? new[] { "WhatIf", "Confirm" } : [];
            foreach (var (set, item) in sets.Zip(items))
            {
                var expected = _m.Parameters(type).Select(p => (p.Name, Declaration: Declaration(p, set))).Where(x => x.Declaration is not null)
                    .Select(x => $"{x.Name}:{(CmdletMetadata.Named(x.Declaration!, "Mandatory") is true ? "mandatory" : "optional")}")
                    .Concat(riskParameters.Select(r => $"{r}:optional"));
                var shown = item.Elements(Command + "parameter").Select(p => $"{p.Element(Maml + "name")!.Value}:{((string?)p.Attribute("required") == "true" ? "mandatory" : "optional")}");
                Assert.Equal(expected.Order(), shown.Order());
                // Common parameters are PowerShell's own [<CommonParameters>].
                Assert.DoesNotContain(shown, s => Regex.IsMatch(s, "^(Verbose|Debug|ErrorAction|WarningAction|InformationAction|ProgressAction|OutVariable|OutBuffer|PipelineVariable):"));
            }
        }
    }

    [Fact]
    public void Mutually_exclusive_mandatory_parameters_never_share_a_syntax_item()
    {
        var split = Items("Split-PgRestorePhases");
        // The default set first, then the others by name.
        Assert.Equal(["Archive", "LiteralPath", "Path"], split.Select(i => string.Join(" ", i.Where(p => p.Mandatory).Select(p => p.Name))));
        var toc = Items("Get-PgDumpToc");
        Assert.Equal(["Path", "Path ExpandEntries", "Path List", "LiteralPath", "ExpandEntries LiteralPath", "List LiteralPath"], toc.Select(i => string.Join(" ", i.Where(p => p.Mandatory).Select(p => p.Name))));
        var invoke = Items("Invoke-PgPhaseRestore");
        Assert.Equal(["InputObject TargetConnection", "Archive TargetConnection", "LiteralPath TargetConnection", "Path TargetConnection"],
            invoke.Select(i => string.Join(" ", i.Where(p => p.Mandatory).Select(p => p.Name))));
        var swap = Items("Switch-PgDatabase");
        Assert.Contains(swap[0], p => p is { Name: "Replacement", Mandatory: true, Position: "1" });
        Assert.Contains(swap[1], p => p is { Name: "Replacement", Mandatory: false, Position: "1" });
        Assert.DoesNotContain(swap[1], p => p.Name == "NoCarry");
    }

    [Fact]
    public void Positional_parameters_come_first_in_their_position_order()
    {
        foreach (var (name, command) in _help.Commands)
            foreach (var item in command.Element(Command + "syntax")!.Elements(Command + "syntaxItem"))
            {
                var positions = item.Elements(Command + "parameter").Select(p => (string)p.Attribute("position")!).ToList();
                var positional = positions.TakeWhile(p => p != "named").Select(int.Parse).ToList();
                Assert.True(positional.SequenceEqual(positional.Order()), $"{name}: positions {string.Join(", ", positions)}");
                Assert.All(positions.Skip(positional.Count), p => Assert.Equal("named", p));
            }
    }

    [Fact]
    public void Switches_show_no_value_in_syntax_and_an_optional_one_in_parameters()
    {
        foreach (var (name, command) in _help.Commands)
        {
            foreach (var p in command.Descendants(Command + "syntaxItem").Elements(Command + "parameter").Where(IsSwitch))
                Assert.True(p.Element(Command + "parameterValue") is null, $"{name} -{p.Element(Maml + "name")!.Value} shows a value in SYNTAX");
            foreach (var p in command.Element(Command + "parameters")!.Elements(Command + "parameter").Where(IsSwitch))
            {
                Assert.Equal("false", (string?)p.Element(Command + "parameterValue")!.Attribute("required"));
                Assert.Equal("False", p.Element(Dev + "defaultValue")!.Value);
            }
        }
        Assert.Contains(Items("Backup-PgDatabase")[0], p => p is { Name: "Force", Value: null });

        static bool IsSwitch(XElement p) => p.Element(Dev + "type")!.Value == "System.Management.Automation.SwitchParameter";
    }

    [Fact]
    public void Types_have_the_names_PowerShell_shows()
    {
        foreach (var (name, command) in _help.Commands)
        {
            foreach (var type in command.Descendants(Command + "parameterValue").Concat(command.Descendants(Dev + "type")).Select(e => e.Value))
                Assert.False(type.Contains("Nullable", StringComparison.Ordinal) || type.Contains('`'), $"{name}: type name {type}");
            foreach (var value in command.Element(Command + "syntax")!.Descendants(Command + "parameterValue"))
                Assert.NotEqual("SwitchParameter", value.Value);
        }

        var values = Parameters("Copy-PgDatabase").ToDictionary(p => p.Element(Maml + "name")!.Value, p => p.Element(Command + "parameterValue")!.Value);
        Assert.Equal("Int64", values["MemoryBudget"]);
        Assert.Equal("TimeSpan", values["LockWaitTimeout"]);
        Assert.Equal("String[]", values["ExcludeTableData"]);
        Assert.Equal("RestoreStrategy", values["Strategy"]);
        Assert.Equal("PSCredential", values["SourceCredential"]);
        Assert.Equal("SecureString", values["SecretKey"]);
        Assert.Equal("Hashtable", values["SessionSetting"]);
        Assert.Equal("Int32[]", Parameters("Invoke-PgPhaseRestore").Single(p => p.Element(Maml + "name")!.Value == "Phase").Element(Command + "parameterValue")!.Value);
    }

    [Fact]
    public void Inputs_list_what_binds_from_the_pipeline_and_by_which_properties()
    {
        foreach (var (name, type) in _m.Cmdlets)
        {
            var inputs = _help.Commands[name].Element(Command + "inputTypes")!.Elements(Command + "inputType")
                .Select(i => (Type: i.Element(Dev + "type")!.Value, Text: i.Element(Maml + "description")!.Value)).ToList();
            var piped = _m.Parameters(type).Where(p => _m.Attributes(p, "ParameterAttribute").Any(a =>
                CmdletMetadata.Named(a, "ValueFromPipeline") is true || CmdletMetadata.Named(a, "ValueFromPipelineByPropertyName") is true)).ToList();
            if (piped.Count == 0)
            {
                Assert.Equal(["None"], inputs.Select(i => i.Type));
                continue;
            }
            Assert.NotEmpty(inputs);
            foreach (var p in piped)
            {
                var byValue = _m.Attributes(p, "ParameterAttribute").Any(a => CmdletMetadata.Named(a, "ValueFromPipeline") is true);
                var entry = inputs.SingleOrDefault(i => i.Text.Contains($"-{p.Name} ", StringComparison.Ordinal));
                Assert.True(entry.Text is not null, $"{name}: INPUTS do not name -{p.Name}");
                var element = byValue && p.PropertyType.IsArray ? p.PropertyType.GetElementType()! : p.PropertyType;
                Assert.StartsWith(element.FullName!.Split('`')[0], entry.Type);
                if (_m.Attributes(p, "ParameterAttribute").Any(a => CmdletMetadata.Named(a, "ValueFromPipelineByPropertyName") is true))
                    foreach (var property in _m.NamesAndAliases(p))
                        Assert.Contains(property, entry.Text);
            }
        }
        var split = _help.Commands["Split-PgRestorePhases"].Element(Command + "inputTypes")!.Elements(Command + "inputType").ToList();
        Assert.Equal("PgPhaseRestore.Engine.Archive.DumpArchive", split[0].Element(Dev + "type")!.Value);
        Assert.Equal("Binds to -Path by value, or by property name from a Path property of the piped object.", split[1].Element(Maml + "description")!.Value);
        Assert.Equal("Binds to -LiteralPath by property name from a LiteralPath, PSPath, LP, FullName, Location or Uri property of the piped object.",
            split[2].Element(Maml + "description")!.Value);
        Assert.Equal("PgPhaseRestore.Engine.Planning.RestorePhase",
            _help.Commands["Invoke-PgPhaseRestore"].Element(Command + "inputTypes")!.Elements(Command + "inputType")
                .Single(i => i.Value.Contains("-InputObject")).Element(Dev + "type")!.Value);
    }

    [Fact]
    public void Outputs_are_the_OutputType_types()
    {
        foreach (var (name, type) in _m.Cmdlets)
        {
            var declared = _m.Attributes(type, "OutputTypeAttribute")
                .SelectMany(a => ((IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!).Select(v => ((Type)v.Value!).FullName!));
            var shown = _help.Commands[name].Element(Command + "returnValues")!.Elements(Command + "returnValue").Select(r => r.Element(Dev + "type")!.Value);
            Assert.Equal(declared.Order(), shown.Order());
        }
        var toc = _help.Commands["Get-PgDumpToc"].Element(Command + "returnValues")!.Elements(Command + "returnValue")
            .ToDictionary(r => r.Element(Dev + "type")!.Value, r => r.Element(Maml + "description")!.Value);
        Assert.Equal("With -List.", toc["System.String"]);
        Assert.Equal("With -ExpandEntries.", toc["PgPhaseRestore.Engine.Archive.TocEntry"]);
        Assert.Equal("By default.", toc["PgPhaseRestore.Engine.Archive.DumpArchive"]);
    }

    [Fact]
    public void Each_synopsis_is_the_whole_first_sentence_of_the_description()
    {
        foreach (var (name, command) in _help.Commands)
        {
            var synopsis = command.Element(Command + "details")!.Element(Maml + "description")!.Value.Trim();
            var description = command.Element(Maml + "description")!.Value.Trim();
            Assert.True(synopsis.EndsWith('.'), $"{name}: synopsis \"{synopsis}\" is not a whole sentence");
            Assert.DoesNotMatch(@"[.!?]\s", synopsis.Replace("e.g. ", "").Replace("i.e. ", ""));
            Assert.StartsWith(synopsis, description);
        }
    }

    [Fact]
    public void A_summary_whose_first_sentence_ends_with_a_colon_fails_the_build()
    {
        var doc = XDocument.Load(_help.DocComments);
        var summary = doc.Descendants("member").Single(m => (string?)m.Attribute("name") == "T:PgPhaseRestore.PowerShell.Cmdlets.GetPgBackupCommand").Element("summary")!;
        summary.Value = "Lists backups:";
        var docPath = Path.Combine(_help.Folder, "colon.xml");
        doc.Save(docPath);

        var (exitCode, output) = _help.Build(docPath, Path.Combine(_help.Folder, "colon-Help.xml"));
        Assert.Equal(1, exitCode);
        Assert.Contains("Get-PgBackup: the summary's first sentence must end with '.'", output);
    }

    [Fact]
    public void Parameters_show_required_position_pipeline_input_default_and_aliases()
    {
        var path = Parameter("Split-PgRestorePhases", "Path");
        Assert.Equal(("true", "0", "True (ByValue, ByPropertyName)", "none", "None"), Shown(path));
        Assert.Equal(("true", "named", "True (ByPropertyName)", "PSPath, LP, FullName, Location, Uri", "None"), Shown(Parameter("Split-PgRestorePhases", "LiteralPath")));
        Assert.Equal("Archive location: file or directory-format folder (wildcards allowed: each match is planned), or s3:// URI (taken as written).", path.Element(Maml + "description")!.Value);
        Assert.Equal(("true", "0", "True (ByValue, ByPropertyName)", "none", "None"), Shown(Parameter("Get-PgDumpToc", "Path")));
        Assert.Equal(("true", "0", "True (ByValue)", "none", "None"), Shown(Parameter("Split-PgRestorePhases", "Archive")));
        // Mandatory in one set, optional in the other: not required to run the cmdlet.
        Assert.Equal(("false", "1", "False", "none", "None"), Shown(Parameter("Switch-PgDatabase", "Replacement")));
        Assert.Equal(("false", "named", "False", "none", "1"), Shown(Parameter("Backup-PgDatabase", "DumpJobs")));
        Assert.Equal("Custom", Default("Backup-PgDatabase", "Format"));
        Assert.Equal("8388608", Default("Backup-PgDatabase", "PartSize")); // new MultipartOptions().InitialPartSize
        Assert.Equal("5368709120", Default("Copy-PgDatabase", "MaxPartSize"));
        Assert.Equal("Auto", Default("Invoke-PgPhaseRestore", "Strategy"));
        Assert.Equal("Estimate", Default("Test-PgPhaseRestore", "RowCount"));
        Assert.Equal("33554432", Default("Copy-PgDatabase", "SplitTableSize"));
        Assert.Equal("None", Default("Invoke-PgPhaseRestore", "MemoryBudget"));
        Assert.Equal("None", Default("Get-PgDatabase", "Name")); // an empty array is no default
        Assert.Equal("true", (string?)Parameter("Get-PgDatabase", "Name").Attribute("globbing"));
        Assert.Equal(("false", "named", "False", "wi", "False"), Shown(Parameter("Copy-PgDatabase", "WhatIf")));

        // Every parameter of every cmdlet, as PowerShell binds it.
        foreach (var (name, type) in _m.Cmdlets)
            foreach (var p in _m.Parameters(type))
            {
                var shown = Parameter(name, p.Name);
                var attributes = _m.Attributes(p, "ParameterAttribute").ToList();
                Assert.Equal(attributes.All(a => CmdletMetadata.Named(a, "Mandatory") is true) ? "true" : "false", (string?)shown.Attribute("required"));
                var aliases = _m.NamesAndAliases(p).Skip(1).ToList();
                Assert.Equal(aliases.Count == 0 ? "none" : string.Join(", ", aliases), (string?)shown.Attribute("aliases"));
                Assert.True(shown.Element(Maml + "description")!.Value.Length > 10, $"{name} -{p.Name} has no description");
                Assert.NotEmpty(shown.Element(Dev + "defaultValue")!.Value);
            }
    }

    private static IEnumerable<string> Sets(PropertyInfo p) =>
        p.GetCustomAttributesData().Where(a => a.AttributeType.Name == "ParameterAttribute").Select(a => CmdletMetadata.Named(a, "ParameterSetName") as string ?? AllSets);

    private CustomAttributeData? Declaration(PropertyInfo p, string set)
    {
        var attributes = _m.Attributes(p, "ParameterAttribute").ToList();
        return attributes.FirstOrDefault(a => CmdletMetadata.Named(a, "ParameterSetName") as string == set)
            ?? attributes.FirstOrDefault(a => CmdletMetadata.Named(a, "ParameterSetName") is null);
    }

    private IEnumerable<XElement> Parameters(string cmdlet) => _help.Commands[cmdlet].Element(Command + "parameters")!.Elements(Command + "parameter");

    private XElement Parameter(string cmdlet, string name) => Parameters(cmdlet).Single(p => p.Element(Maml + "name")!.Value == name);

    private string Default(string cmdlet, string name) => Parameter(cmdlet, name).Element(Dev + "defaultValue")!.Value;

    private static (string?, string?, string?, string?, string) Shown(XElement p) =>
        ((string?)p.Attribute("required"), (string?)p.Attribute("position"), (string?)p.Attribute("pipelineInput"), (string?)p.Attribute("aliases"), p.Element(Dev + "defaultValue")!.Value);

    private sealed record SyntaxParameter(string Name, bool Mandatory, string Position, string? Value);

    /// <summary>A cmdlet's syntax items, in order, each as its parameters.</summary>
    private List<List<SyntaxParameter>> Items(string cmdlet) =>
        _help.Commands[cmdlet].Element(Command + "syntax")!.Elements(Command + "syntaxItem")
            .Select(i => i.Elements(Command + "parameter").Select(p => new SyntaxParameter(
                p.Element(Maml + "name")!.Value, (string?)p.Attribute("required") == "true", (string)p.Attribute("position")!, p.Element(Command + "parameterValue")?.Value)).ToList())
            .ToList();
}
