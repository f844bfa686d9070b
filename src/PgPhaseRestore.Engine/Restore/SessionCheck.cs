using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Before anything is created: the session settings and the role every session of the restore starts with, tried
/// on the server. A setting the server does not know or refuses, or a role the user may not set, would otherwise
/// fail phase 1 after the target database was created. The settings are tried as pg_restore gives them, as options
/// of a new session (PGOPTIONS): checked as the server checks them when a session starts, so a value naming an
/// object that phase 1 creates is not refused here.
/// </summary>
internal static class SessionCheck
{
    public static async Task RunAsync(RestoreOptions options, CancellationToken ct)
    {
        if (options.SessionSettings.Count == 0 && string.IsNullOrEmpty(options.Role))
            return;
        var target = options.Target;
        await using var conn = await MaintenanceDatabase.OpenAsync(target, "pgphase restore", last =>
            PgPhaseException.Wrap($"could not connect to a maintenance database (postgres or template1) as {target} to check the session settings and role: {last.MessageText}",
                last, PgPhaseErrorCode.RestoreFailed), ct).ConfigureAwait(false);
        if (PgRestoreArguments.SessionOptions(options) is { } settings)
            await TrySettingsAsync(target.WithDatabase(conn.Database), settings, ct).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(options.Role))
        {
            await RestoreSession.ExecuteAsync(conn, "BEGIN", ct).ConfigureAwait(false);
            try
            {
                await RestoreSession.ExecuteAsync(conn, $"SET LOCAL ROLE {SqlText.Ident(options.Role)}", ct).ConfigureAwait(false);
            }
            catch (PostgresException ex)
            {
                throw PgPhaseException.OfOption(nameof(RestoreOptions.Role), $"role \"{options.Role}\" cannot be set: {ex.MessageText}; nothing was created",
                    ex.SqlState == PostgresErrorCodes.InsufficientPrivilege ? PgPhaseErrorCode.Permission : PgPhaseErrorCode.InvalidInput, ex);
            }
            await RestoreSession.ExecuteAsync(conn, "ROLLBACK", ct).ConfigureAwait(false);
        }
    }

    /// <summary>Opens a session of the same database, which just admitted the user, with the settings as its options: a refusal is theirs.</summary>
    private static async Task TrySettingsAsync(PgConnectionInfo database, string settings, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(database.ToNpgsqlConnectionString("pgphase restore"));
        builder.Options = string.IsNullOrEmpty(builder.Options) ? settings : $"{builder.Options} {settings}";
        await using var session = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await database.OpenAsync(session, ct).ConfigureAwait(false);
        }
        catch (PgPhaseException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UndefinedObject or PostgresErrorCodes.InvalidParameterValue
                                              or PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.CantChangeRuntimeParam } refused)
        {
            throw PgPhaseException.OfOption(nameof(RestoreOptions.SessionSettings),
                $"the session settings are refused by the server: {refused.MessageText}; nothing was created", PgPhaseErrorCode.InvalidInput, refused);
        }
    }
}
