using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>Turns the engine's expected failures into one line on stderr and a non-zero exit code.</summary>
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
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("pgphase: cancelled").ConfigureAwait(false);
            return Cancelled;
        }
        catch (Exception ex) when (IsEngineFailure(ex))
        {
            await Console.Error.WriteLineAsync($"pgphase: {OneLine(ex.Message)}{FlagHints.For(ex)}").ConfigureAwait(false);
            return Failed;
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            // The engine names the object and endpoint for every storage call it makes; this only keeps a call it
            // missed to one line instead of a stack trace.
            await Console.Error.WriteLineAsync($"pgphase: S3 request failed: {OneLine(ex.Message)}").ConfigureAwait(false);
            return Failed;
        }
    }

    private static bool IsEngineFailure(Exception ex) => ex is ArchiveFormatException or ArchiveSourceException or ArgumentException or InvalidOperationException
        or IOException or RestoreException or PlanException or Npgsql.NpgsqlException or Engine.Backup.BackupException;

    private static bool IsStorageFailure(Exception ex) => ex is Amazon.Runtime.AmazonClientException or Amazon.Runtime.AmazonServiceException
        or System.Net.Http.HttpRequestException or System.Net.Sockets.SocketException;

    private static string OneLine(string message) => message.Split('\n', 2)[0].TrimEnd('\r', ' ');
}
