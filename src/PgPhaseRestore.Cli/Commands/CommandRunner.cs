using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Restore;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>Turns the engine's expected failures into one line on stderr and an exit code for their kind.</summary>
internal static class CommandRunner
{
    public const int Failed = 1;
    public const int Cancelled = 130;

    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (PgPhaseErrors.KindOf(ex) is { } kind)
        {
            await Console.Error.WriteLineAsync(kind == PgPhaseErrorKind.Cancelled ? "pgphase: cancelled" : $"pgphase: {Describe(ex)}{FlagHints.For(ex)}").ConfigureAwait(false);
            return ExitCode(kind);
        }
    }

    /// <summary>The one place kinds become exit codes: 130 for a stop on request (as a shell reports SIGINT), 1 for any failure.</summary>
    private static int ExitCode(PgPhaseErrorKind kind) => kind == PgPhaseErrorKind.Cancelled ? Cancelled : Failed;

    // The engine names the object and endpoint for every storage call it makes; a raw SDK or transport error is a
    // call it missed, kept to one line instead of a stack trace.
    private static string Describe(Exception ex) =>
        ex is Amazon.Runtime.AmazonClientException or Amazon.Runtime.AmazonServiceException or System.Net.Http.HttpRequestException or System.Net.Sockets.SocketException
            ? $"S3 request failed: {OneLine(ex.Message)}"
            : OneLine(ex.Message);


    private static string OneLine(string message) => message.Split('\n', 2)[0].TrimEnd('\r', ' ');
}
