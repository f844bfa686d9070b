using System.Reflection;
using System.Text.RegularExpressions;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// One vocabulary per host: every failure kind the engine returns has a RecommendedAction in the cmdlets' terms,
/// declared once (Infrastructure/RecommendedActions), and every parameter it names exists on the cmdlets that can
/// fail that way. pgphase's table of options is held the same way by the engine tests.
/// </summary>
public sealed partial class RecommendedActionsTests : IClassFixture<CmdletMetadata>
{
    private readonly CmdletMetadata _m;

    public RecommendedActionsTests(CmdletMetadata metadata) => _m = metadata;

    private const string Codes = "PgPhaseRestore.Engine.PgPhaseErrorCode";

    /// <summary>
    /// Each range of codes (see PgPhaseErrorCode: a range ends where the next begins), and the cmdlets that can fail
    /// that way; a server's SQLSTATE is keyed by its text.
    /// </summary>
    private static readonly (long From, string[] Cmdlets)[] Ranges =
    [
        (0, ["Invoke-PgPhaseRestore", "Backup-PgDatabase", "Copy-PgDatabase", "Get-PgDumpToc", "Switch-PgDatabase"]), // general
        (100, ["Invoke-PgPhaseRestore", "Copy-PgDatabase"]), // a restore
        (200, ["Switch-PgDatabase", "Invoke-PgPhaseRestore"]), // a swap, undo or replace
        (300, ["Backup-PgDatabase", "Copy-PgDatabase"]), // a backup
        (400, ["Get-PgDumpToc", "Backup-PgDatabase", "Get-PgBackup", "Invoke-PgPhaseRestore"]), // an archive's storage
        (500, ["Get-PgDumpToc", "Invoke-PgPhaseRestore", "Test-PgPhaseRestore"]), // an archive's contents
        (600, ["Invoke-PgPhaseRestore", "Split-PgRestorePhases"]), // a plan
        (700, ["Invoke-PgPhaseRestore", "Backup-PgDatabase", "Copy-PgDatabase"]), // a connection
    ];

    private static readonly string[] SqlStateCmdlets = ["Invoke-PgPhaseRestore", "Backup-PgDatabase", "Copy-PgDatabase"];

    private static string[] CmdletsFor(Type kindType, object kind) => kindType.FullName == "System.String"
        ? SqlStateCmdlets
        : Ranges.Last(r => r.From <= Convert.ToInt64(kind)).Cmdlets;

    private List<(Type KindType, object Kind, string Action)> Table()
    {
        var table = _m.Assembly.GetType("PgPhaseRestore.PowerShell.Infrastructure.RecommendedActions");
        Assert.NotNull(table);
        return table!.GetCustomAttributesData().Where(a => a.AttributeType.Name == "RecommendsAttribute")
            .Select(a => (a.ConstructorArguments[0].ArgumentType, a.ConstructorArguments[0].Value!, (string)a.ConstructorArguments[1].Value!))
            .ToList();
    }

    [Fact]
    public void Every_engine_failure_kind_has_one_recommended_action()
    {
        var table = Table();
        var engine = _m.Context.LoadFromAssemblyPath(Path.Combine(_m.ModuleDirectory, "PgPhaseRestore.Engine.dll"));
        var type = engine.GetType(Codes);
        Assert.NotNull(type);
        foreach (var field in type!.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var value = Convert.ToInt64(field.GetRawConstantValue());
            Assert.True(table.Count(e => e.KindType.FullName == Codes && Convert.ToInt64(e.Kind) == value) == 1, $"{type.Name}.{field.Name} has no single entry (\"\" when no parameter helps)");
        }
        Assert.All(table, e => Assert.Contains(e.KindType.FullName!, new[] { Codes, "System.String" }));
        // The codes a parameter answers name one, at least.
        foreach (var name in new[] { "Ownership", "Pooler", "TargetMissing", "AlreadyRestored", "SwapSessions", "BackupExists", "ArchiveNoCredentials",
                     "ArchiveNotFound", "ArchiveUnreachable", "ArchiveBucketHostUnknown" })
        {
            var value = Convert.ToInt64(type.GetField(name)!.GetRawConstantValue());
            Assert.NotEmpty(Parameters(table.Single(e => e.KindType == type && Convert.ToInt64(e.Kind) == value).Action));
        }
    }

    [Fact]
    public void Recommended_actions_name_parameters_the_cmdlets_have()
    {
        foreach (var (kindType, kind, action) in Table())
        {
            var cmdlets = CmdletsFor(kindType, kind);
            var names = cmdlets.SelectMany(c => _m.Parameters(_m.Cmdlets[c])).SelectMany(_m.NamesAndAliases).ToHashSet(StringComparer.Ordinal);
            foreach (var parameter in Parameters(action))
                Assert.True(names.Contains(parameter), $"{kindType.Name} {kind}: -{parameter} is a parameter of none of {string.Join(", ", cmdlets)}");
            // Cmdlet names in an action are the module's own.
            foreach (Match m in CmdletName().Matches(action))
                Assert.Contains(m.Value, _m.Cmdlets.Keys);
            // PowerShell's words, not pgphase's options.
            Assert.DoesNotMatch(@"(?<![\w-])--[a-z]", action);
        }
    }

    [Fact]
    public void Each_option_a_failure_can_name_is_set_by_a_parameter_of_the_cmdlets()
    {
        var table = _m.Assembly.GetType("PgPhaseRestore.PowerShell.Infrastructure.RecommendedActions")!.GetCustomAttributesData()
            .Where(a => a.AttributeType.Name == "ParameterForAttribute")
            .Select(a => ((string)a.ConstructorArguments[0].Value!, (string)a.ConstructorArguments[1].Value!)).ToList();
        var engine = _m.Context.LoadFromAssemblyPath(Path.Combine(_m.ModuleDirectory, "PgPhaseRestore.Engine.dll"));
        var options = new[] { "Restore.RestoreOptions", "Backup.BackupOptions" }
            .SelectMany(t => engine.GetType("PgPhaseRestore.Engine." + t)!.GetProperties().Select(p => p.Name)).ToHashSet();
        var parameters = _m.Cmdlets.Values.SelectMany(_m.Parameters).SelectMany(_m.NamesAndAliases).ToHashSet(StringComparer.Ordinal);
        // The options the engine names in its failures (PgPhaseException.Option), each with its parameter.
        foreach (var option in new[] { "JournalPath", "PgRestorePath", "PgDumpPath", "Role", "SessionSettings", "BackupName", "Tables", "Schemas", "Destination" })
            Assert.Contains(option, table.Select(e => e.Item1));
        foreach (var (option, parameter) in table)
        {
            Assert.True(options.Contains(option), $"{option} is not an option of the engine's RestoreOptions or BackupOptions");
            Assert.True(parameters.Contains(parameter), $"{option}: -{parameter} is a parameter of no cmdlet");
        }
        Assert.Equal(table.Count, table.Select(e => e.Item1).Distinct().Count());
    }

    /// <summary>
    /// Advice that names another cmdlet with its parameters ("Invoke-PgPhaseRestore -LiteralPath '...' -Resume", "plan
    /// it again (Split-PgRestorePhases -Path)") gives parameters of that cmdlet: read from the module's sources, where
    /// such commands are written, holes of interpolated strings standing for values.
    /// </summary>
    [Fact]
    public void Commands_in_advice_name_parameters_of_the_cmdlet_they_call()
    {
        string[] common = ["Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable", "WarningVariable",
            "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable", "WhatIf", "Confirm"];
        var sources = Directory.GetFiles(Path.Combine(_m.RepoRoot, "src", "PgPhaseRestore.PowerShell"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));
        int checkedCommands = 0;
        foreach (var file in sources)
        {
            foreach (Match command in CommandInText().Matches(File.ReadAllText(file)))
            {
                var cmdlet = command.Groups["cmdlet"].Value;
                Assert.True(_m.Cmdlets.TryGetValue(cmdlet, out var type), $"{Path.GetFileName(file)}: {cmdlet} is not a cmdlet of the module");
                var names = _m.Parameters(type!).SelectMany(_m.NamesAndAliases).Concat(common).ToHashSet(StringComparer.OrdinalIgnoreCase);
                foreach (Capture parameter in command.Groups["parameter"].Captures)
                    Assert.True(names.Contains(parameter.Value), $"{Path.GetFileName(file)}: \"{command.Value}\" gives -{parameter.Value}, which {cmdlet} does not take");
                checkedCommands += command.Groups["parameter"].Captures.Count > 0 ? 1 : 0;
            }
        }
        // The advice the error records give with a command in it, at least.
        Assert.True(checkedCommands >= 4, $"only {checkedCommands} commands with parameters found");
    }

    // A module cmdlet, then its arguments: -Parameter (with :$value), a hole {…}, a 'quoted' value or a number.
    [GeneratedRegex(@"\b(?<cmdlet>[A-Z][a-z]+-Pg[A-Za-z]+)(?:\s+(?:-(?<parameter>[A-Z]\w*)(?::\$\w+)?|\{[^{}\r\n]*\}|'[^'\r\n]*'|\d+))*")]
    private static partial Regex CommandInText();

    private static List<string> Parameters(string action) => Parameter().Matches(action).Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex(@"(?<![\w-])-([A-Z][A-Za-z0-9]+)")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"\b[A-Z][a-z]+-Pg[A-Za-z]+")]
    private static partial Regex CmdletName();
}
