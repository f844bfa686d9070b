using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace PgPhaseRestore.PowerShell.Completers;

/// <summary>Completes -Phase with the four phase numbers, each with its name as the tooltip.</summary>
public sealed class PhaseCompleter : IArgumentCompleter
{
    private static readonly (int Number, string Name, string What)[] Phases =
    [
        (1, "Schema", "pre-data without indexes and constraints"),
        (2, "Indexes", "indexes and index-backed constraints on empty tables"),
        (3, "Data", "table data, sequences, large objects"),
        (4, "PostData", "foreign keys, triggers, policies, grants..."),
    ];

    /// <summary>The phase numbers, each with its name and what it restores.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Phases.Where(p => p.Number.ToString().StartsWith(wordToComplete, StringComparison.Ordinal))
            .Select(p => new CompletionResult(p.Number.ToString(), $"{p.Number} {p.Name}", CompletionResultType.ParameterValue, $"{p.Name}: {p.What}"));
}
