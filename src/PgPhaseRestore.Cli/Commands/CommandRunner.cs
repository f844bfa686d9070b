using System.CommandLine;
using System.Text.RegularExpressions;
using PgPhaseRestore.Engine;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>
/// Turns the engine's failures into one line on stderr and an exit code for their kind. Only the engine's own
/// failures, pgphase's own refusals of its input, a demo this machine cannot run and a stop count as expected: anything else is a bug, said to be one.
/// </summary>
internal static class CommandRunner
{
    public const int Failed = 1;

    /// <summary>A bug in PgPhaseRestore (sysexits' EX_SOFTWARE): never the user's input, never an ordinary failure.</summary>
    public const int Bug = 70;

    public const int Cancelled = 130;

    public static Task<int> RunAsync(Func<Task<int>> action) => RunAsync(action, null);

    /// <summary>
    /// As <see cref="RunAsync(Func{Task{int}})"/> for a command whose options are not all a restore's: a hint that names
    /// an option <paramref name="command"/> does not take (a copy has no --allow-non-empty) is left out.
    /// </summary>
    public static async Task<int> RunAsync(Func<Task<int>> action, Command? command)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var (line, code) = Report(ex);
            var hint = FlagHints.For(ex);
            if (command is not null && hint.Length > 0 && line.EndsWith(hint, StringComparison.Ordinal) && !Takes(command, hint))
                line = line[..^hint.Length];
            await Console.Error.WriteLineAsync(line).ConfigureAwait(false);
            return code;
        }
    }

    private static bool Takes(Command command, string hint)
    {
        var options = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).ToHashSet(StringComparer.Ordinal);
        return Regex.Matches(hint, @"(?<![\w-])--[a-z][a-z0-9-]*").All(m => options.Contains(m.Value));
    }

    /// <summary>The line on stderr and the exit code for a command that ended with <paramref name="ex"/>.</summary>
    internal static (string Line, int ExitCode) Report(Exception ex) => ex switch
    {
        OperationCanceledException or PgPhaseException { Kind: PgPhaseErrorKind.Cancelled } => ("pgphase: cancelled", Cancelled),
        // The one place kinds become exit codes: 1 for any failure.
        PgPhaseException own => ($"pgphase: {Describe(own)}{FlagHints.For(ex)}", Failed),
        UsageException or NothingFoundException or Demo.DemoException => ($"pgphase: {OneLine(ex.Message)}", Failed),
        _ => ($"pgphase: this is a bug in PgPhaseRestore, not a problem with what was asked: {ex.GetType().FullName}: {OneLine(ex.Message).TrimEnd('.')}. " +
              "Please report it with this message.", Bug),
    };

    // The engine names the object and endpoint for every storage call it makes; a raw SDK or transport error is a
    // call it missed, kept to one line instead of a stack trace.
    private static string Describe(PgPhaseException ex) =>
        ex.InnerException is Amazon.Runtime.AmazonClientException or Amazon.Runtime.AmazonServiceException or System.Net.Http.HttpRequestException
            or System.Net.Sockets.SocketException && ex.Message == ex.InnerException.Message
            ? $"S3 request failed: {OneLine(ex.Message)}"
            : OneLine(ex.Message);

    private static string OneLine(string message) => message.Split('\n', 2)[0].TrimEnd('\r', ' ');
}
