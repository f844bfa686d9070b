using System.Text.RegularExpressions;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>Every cmdlet parameter the README's PowerShell examples use exists on that cmdlet.</summary>
public sealed class ReadmeExamplesTests : IClassFixture<CmdletMetadata>
{
    private readonly CmdletMetadata _m;

    public ReadmeExamplesTests(CmdletMetadata metadata) => _m = metadata;

    private static readonly string[] Common =
        ["Verbose", "Debug", "ErrorAction", "WarningAction", "ErrorVariable", "WarningVariable", "OutVariable", "OutBuffer", "PipelineVariable", "WhatIf", "Confirm", "InformationAction", "InformationVariable", "ProgressAction"];

    [Fact]
    public void Parameters_used_in_the_readme_exist()
    {
        var readme = File.ReadAllText(Path.Combine(_m.RepoRoot, "README.md"));
        var blocks = Regex.Matches(readme, "```powershell\\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(blocks);
        int checkedUses = 0;
        foreach (var raw in blocks)
        {
            var block = Regex.Replace(raw, "#.*$", "", RegexOptions.Multiline); // comments are prose
            // Each command of ours up to the next pipe or line end, and its -Parameters.
            foreach (Match use in Regex.Matches(block, @"\b((?:Get|Backup|Copy|Split|Invoke|Test|Switch)-Pg[A-Za-z]+)\b([^|\n]*)"))
            {
                Assert.True(_m.Cmdlets.ContainsKey(use.Groups[1].Value), $"README uses {use.Groups[1].Value}, which is not a cmdlet of the module");
                var cmdlet = _m.Cmdlets[use.Groups[1].Value];
                var known = _m.Parameters(cmdlet).SelectMany(_m.NamesAndAliases).Concat(Common).ToHashSet(StringComparer.OrdinalIgnoreCase);
                foreach (Match p in Regex.Matches(use.Groups[2].Value, @"(?<=\s)-([A-Za-z][A-Za-z0-9]*)"))
                {
                    Assert.True(known.Contains(p.Groups[1].Value), $"README uses {use.Groups[1].Value} -{p.Groups[1].Value}, which does not exist");
                    checkedUses++;
                }
            }
        }
        Assert.True(checkedUses > 40, $"only {checkedUses} parameter uses found");
    }
}
