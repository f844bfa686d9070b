using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Servers;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Completers;

/// <summary>
/// Completes database names from the server already given on the command line: the target's for -TargetDatabase,
/// otherwise the server's or the source's, each with its own credential. Gives up quietly after a few seconds:
/// completion must never hang a session.
/// </summary>
public sealed class DatabaseNameCompleter : IArgumentCompleter
{
    /// <summary>
    /// The names of the databases on the server the command line names, as far as it can be reached within five
    /// seconds.
    /// </summary>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        // Bound parameters are keyed by their names, whichever alias the command line used.
        var endpoint = parameterName == "TargetDatabase" ? "Target" : fakeBoundParameters.Contains("ServerConnection") ? "Server" : "Source";
        // Values that came through a pipeline, New-Object or a variable arrive wrapped in a PSObject.
        var server = Unwrap(fakeBoundParameters[endpoint + "Connection"]) as string;
        var credential = Unwrap(fakeBoundParameters[endpoint + "Credential"]) as PSCredential;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var connection = Connections.From(server, credential);
            var filter = new DatabaseFilter { Names = [wordToComplete.Trim('\'', '"') + "*"] };
            var names = ServerDatabases.ListAsync(connection, filter, timeout.Token).GetAwaiter().GetResult();
            return names.Select(d => new CompletionResult(Quote(d.Name), d.Name, CompletionResultType.ParameterValue, d.ToString())).ToList();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Tab completion offers what it can and never fails the line being typed: whatever went wrong (a server
            // out of reach, a connection string half typed) shows when the command itself runs.
            return [];
        }
    }

    private static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

    private static string Quote(string name) => name.All(c => char.IsLetterOrDigit(c) || c is '_' or '-') ? name : PowerShellText.SingleQuoted(name);
}
