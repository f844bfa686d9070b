using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// The examples users copy: the README's PowerShell blocks and every cmdlet's help examples bind as written (each
/// parameter exists, within one parameter set, with every mandatory one given or piped) and use the parameters'
/// names rather than their aliases; the about_ topic names only parameters that exist.
/// </summary>
public sealed class ReadmeExamplesTests : IClassFixture<CmdletMetadata>
{
    private readonly CmdletMetadata _m;
    private readonly CommandLines _lines;

    public ReadmeExamplesTests(CmdletMetadata metadata)
    {
        _m = metadata;
        _lines = new CommandLines(metadata);
    }

    [Fact]
    public void Readme_examples_bind_with_the_parameters_names()
    {
        var readme = File.ReadAllText(Path.Combine(_m.RepoRoot, "README.md"));
        var blocks = Regex.Matches(readme, "```powershell\\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(blocks);
        var uses = blocks.SelectMany(_lines.Find).ToList();
        Assert.All(uses, use => Assert.Null(_lines.Bind(use, requireCanonicalNames: true)));
        int checkedUses = uses.Sum(u => u.Tokens.Count(t => t.StartsWith('-')));
        Assert.True(checkedUses > 40, $"only {checkedUses} parameter uses found");
        // The loop the module is built for: parallel restores, each runspace importing the module.
        Assert.Contains(blocks, b => b.Contains("ForEach-Object -Parallel", StringComparison.Ordinal) && b.Contains("Import-Module PgPhaseRestore", StringComparison.Ordinal));
    }

    [Fact]
    public void Help_examples_bind_with_the_parameters_names()
    {
        var docs = XDocument.Load(Path.Combine(_m.ModuleDirectory, "PgPhaseRestore.PowerShell.xml"));
        var examples = docs.Descendants("member")
            .Where(e => ((string)e.Attribute("name")!).StartsWith("T:PgPhaseRestore.PowerShell.Cmdlets.", StringComparison.Ordinal))
            .SelectMany(e => e.Elements("example").Select(x => (Type: ((string)e.Attribute("name")!)[2..], Code: x.Element("code")?.Value ?? "")))
            .ToList();
        Assert.True(examples.Count >= _m.Cmdlets.Count, "every cmdlet has at least one example");
        foreach (var (type, code) in examples)
        {
            var uses = _lines.Find(code).ToList();
            var own = _m.Cmdlets.Single(c => c.Value.FullName == type).Key;
            Assert.True(uses.Any(u => u.Command == own), $"an example of {own} does not use it: {code}");
            Assert.All(uses, use => Assert.Null(_lines.Bind(use, requireCanonicalNames: true)));
        }
    }

    [Fact]
    public void The_about_topic_names_only_parameters_that_exist()
    {
        var about = File.ReadAllText(Path.Combine(_m.RepoRoot, "module", "en-US", "about_PgPhaseRestore.help.txt"));
        // Aliases count: the topic names the earlier names that still bind.
        var names = _m.Cmdlets.Values.SelectMany(_m.Parameters).SelectMany(_m.NamesAndAliases).Concat(CommandLines.CommonParameters).ToHashSet(StringComparer.Ordinal);
        // A parameter right after another module's command (ForEach-Object -Parallel) is that command's.
        about = Regex.Replace(about, @"\b(?!(?:Get|Backup|Copy|Split|Invoke|Test|Switch)-Pg)[A-Z][A-Za-z]+-[A-Z][A-Za-z]+\s+-[A-Z][A-Za-z]+", "");
        var mentioned = Regex.Matches(about, @"(?<![\w-])-([A-Z][a-z][A-Za-z0-9]*)").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(mentioned.Count > 15, $"only {mentioned.Count} parameters mentioned");
        Assert.All(mentioned, name => Assert.True(names.Contains(name), $"about_PgPhaseRestore mentions -{name}, which no cmdlet takes"));
        foreach (var naming in new[] { "-SourceConnection", "-TargetCredential", "-Path", "-AccessKey", "-SecretKey", "-ProfileName" })
            Assert.Contains(naming, about);
    }

    [Fact]
    public void The_binder_catches_what_PowerShell_would_refuse()
    {
        Bad("Invoke-PgPhaseRestore -Path ./a.dump", "mandatory -TargetConnection");
        Bad("Copy-PgDatabase -SourceConnection 'host=a' -Path ./x/ -TargetConnection 'host=b' -Credential $c", "-Credential does not exist");
        Bad("Invoke-PgPhaseRestore -Path ./a.dump -Target 'host=b'", "alias");
        Bad("Test-PgPhaseRestore ./a.dump ./b.dump -TargetConnection 'host=b'", "positional");
        Bad("Switch-PgDatabase -Database app -Undo -NoCarry", "not in this set");
        Assert.Null(_lines.Bind(_lines.Find("Get-PgDumpToc ./a.dump | Invoke-PgPhaseRestore -TargetConnection \"host=b dbname=$($_.Name)\" -SessionSetting @{ a = 'b' }").Last(), true));

        void Bad(string script, string reason)
        {
            var why = _lines.Bind(_lines.Find(script).Single(), requireCanonicalNames: true);
            Assert.NotNull(why);
            Assert.Contains(reason, why);
        }
    }
}
