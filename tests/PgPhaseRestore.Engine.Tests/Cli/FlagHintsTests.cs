using PgPhaseRestore.TestRigs;
using System.CommandLine;
using System.CommandLine.Help;
using System.Text.RegularExpressions;
using PgPhaseRestore.Cli;
using PgPhaseRestore.Cli.Commands;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>
/// One vocabulary per host: the engine returns a failure kind and words what to do without naming any host's flags;
/// pgphase names its options for every kind (the cmdlets their parameters, held by the PowerShell contract tests),
/// and every option it names exists on the commands that can fail that way, as the parser sees them.
/// </summary>
public sealed partial class FlagHintsTests
{
    private static readonly RootCommand Root = Program.BuildRoot();

    /// <summary>
    /// The commands each range of codes (see <see cref="PgPhaseErrorCode"/>) can come from, with the arguments they
    /// need to parse; the first code of the next range ends a range.
    /// </summary>
    private static readonly (PgPhaseErrorCode From, PgPhaseErrorCode To, string[][] Commands)[] Commands =
    [
        (PgPhaseErrorCode.Failed, PgPhaseErrorCode.RestoreFailed, [["restore", "x.dump"], ["backup", "--to", "x.dump"], ["toc", "x.dump"]]),
        (PgPhaseErrorCode.RestoreFailed, PgPhaseErrorCode.SwapState, [["restore", "x.dump"]]),
        (PgPhaseErrorCode.SwapState, PgPhaseErrorCode.BackupFailed, [["swap", "app", "app_new"], ["restore", "x.dump", "--replace"]]),
        (PgPhaseErrorCode.BackupFailed, PgPhaseErrorCode.ArchiveUnreadable, [["backup", "--to", "x.dump"], ["copy", "--to", "x/"]]),
        (PgPhaseErrorCode.ArchiveUnreadable, PgPhaseErrorCode.NotAnArchive, [["toc", "s3://b/x.dump"], ["backup", "--to", "s3://b/x.dump"]]),
        (PgPhaseErrorCode.NotAnArchive, PgPhaseErrorCode.ServerUnreachable, [["toc", "x.dump"], ["restore", "x.dump"]]),
        (PgPhaseErrorCode.ServerUnreachable, (PgPhaseErrorCode)int.MaxValue, [["restore", "x.dump"]]),
    ];

    [Fact]
    public void Every_failure_kind_has_a_hint_naming_options_its_commands_take()
    {
        foreach (var kind in Enum.GetValues<PgPhaseErrorCode>())
        {
            var commands = Commands.Single(r => kind >= r.From && kind < r.To).Commands;
            Assert.True(FlagHints.ByKind.TryGetValue(kind, out var hint), $"{kind} has no entry (\"\" when no option helps)");
            foreach (var option in Options(hint!))
                Assert.True(commands.Any(c => Parses(c, option)), $"{kind}: {option} is not an option of {string.Join(" or ", commands.Select(c => c[0]))}");
        }
        // The kinds a flag answers, at least, name one.
        foreach (var kind in new[] { PgPhaseErrorCode.Ownership, PgPhaseErrorCode.Pooler, PgPhaseErrorCode.StaleSessions, PgPhaseErrorCode.TargetMissing,
                     PgPhaseErrorCode.AlreadyRestored, PgPhaseErrorCode.SwapSessions, PgPhaseErrorCode.BackupExists, PgPhaseErrorCode.ArchiveNoCredentials })
            Assert.NotEmpty(Options(FlagHints.ByKind[kind]));
        foreach (var (state, hint) in FlagHints.BySqlState)
        {
            Assert.NotEmpty(Options(hint));
            Assert.All(Options(hint), option => Assert.True(Parses(["restore", "x.dump"], option), $"SQLSTATE {state}: {option}"));
        }
        // The options the engine names in its failures, each a property of its options and a flag of restore or backup.
        var engineOptions = typeof(PgPhaseRestore.Engine.Restore.RestoreOptions).GetProperties().Concat(typeof(PgPhaseRestore.Engine.Backup.BackupOptions).GetProperties()).Select(p => p.Name).ToHashSet();
        foreach (var (option, flag) in FlagHints.ByOption)
        {
            Assert.Contains(option, engineOptions);
            Assert.True(Parses(["restore", "x.dump"], flag) || Parses(["backup", "--to", "x.dump"], flag) || Parses(["backup"], flag), $"{option}: {flag}");
        }
        Assert.Equal(" (--no-owner)", FlagHints.For(new PgPhaseException("m", PgPhaseErrorCode.Ownership)));
        Assert.Equal(" (--journal)", FlagHints.For(PgPhaseException.OfOption(nameof(PgPhaseRestore.Engine.Restore.RestoreOptions.JournalPath), "m", PgPhaseErrorCode.InvalidInput)));
        Assert.Equal("", FlagHints.For(new PgPhaseException("m", PgPhaseErrorCode.RestoreFailed)));
    }

    [Fact]
    public void Engine_messages_name_no_host_flags()
    {
        var cliOptions = AllCommands(Root).SelectMany(c => c.Options).Where(o => o is not HelpOption and not VersionOption)
            .SelectMany(o => o.Aliases.Append(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal)).ToHashSet();
        Assert.Contains("--no-owner", cliOptions);
        var found = new List<string>();
        var engine = Path.Combine(RepositoryRoot.Path, "src", "PgPhaseRestore.Engine");
        foreach (var file in Directory.EnumerateFiles(engine, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/") && !f.Contains("/bin/")))
        {
            foreach (var (line, number) in File.ReadLines(file).Select((l, i) => (l.Trim(), i + 1)))
            {
                if (line.StartsWith("//", StringComparison.Ordinal))
                    continue;
                // Messages are literals with words in them; tools' arguments ("--no-owner") are not.
                foreach (var literal in Literal().Matches(line).Select(m => m.Value).Where(l => l.Contains(' ')))
                {
                    found.AddRange(CliFlag().Matches(literal).Select(m => m.Value).Where(cliOptions.Contains).Select(f => $"{file}:{number}: {f}"));
                    found.AddRange(PowerShellParameter().Matches(literal).Select(m => $"{file}:{number}: {m.Value}"));
                }
            }
        }
        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    private static IEnumerable<Command> AllCommands(Command c) => c.Subcommands.SelectMany(AllCommands).Prepend(c);

    private static List<string> Options(string hint) => CliFlag().Matches(hint).Select(m => m.Value).ToList();

    /// <summary>Whether the command line with the option parses: the option exists on that command (with a value when it takes one).</summary>
    private static bool Parses(string[] command, string option)
    {
        var sub = Root.Subcommands.Single(c => c.Name == command[0]);
        var o = sub.Options.FirstOrDefault(x => x.Name == option || x.Aliases.Contains(option));
        if (o is null)
            return false;
        // A value it accepts: the first of its choices, where it offers some (--strategy), else a number.
        var value = o.GetCompletions(System.CommandLine.Completions.CompletionContext.Empty).Select(c => c.Label).FirstOrDefault() ?? "2";
        string[] args = o.Arity.MinimumNumberOfValues == 0 ? [.. command, option] : [.. command, option, value];
        var parsed = Root.Parse(args);
        return parsed.UnmatchedTokens.Count == 0 && parsed.Errors.All(e => !e.Message.Contains(option, StringComparison.Ordinal));
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Literal();

    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z0-9-]+")]
    private static partial Regex CliFlag();

    [GeneratedRegex(@"(?<![\w-])-[A-Z][A-Za-z0-9]{3,}")]
    private static partial Regex PowerShellParameter();
}
