using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Before anything is created: the session settings and the role every session of the restore starts with, tried
/// on the server inside a transaction that is rolled back. A setting the server does not know or refuses, or a role
/// the user may not set, would otherwise fail phase 1 after the target database was created.
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
        await RestoreSession.ExecuteAsync(conn, "BEGIN", ct).ConfigureAwait(false);
        foreach (var (name, value) in options.SessionSettings)
        {
            try
            {
                await RestoreSession.SetAsync(conn, name, value, local: true, ct).ConfigureAwait(false);
            }
            catch (PostgresException ex)
            {
                throw PgPhaseException.OfOption(nameof(RestoreOptions.SessionSettings),
                    $"session setting {name}={value} is refused by the server: {ex.MessageText}; nothing was created", PgPhaseErrorCode.InvalidInput, ex);
            }
        }
        if (!string.IsNullOrEmpty(options.Role))
        {
            try
            {
                await RestoreSession.ExecuteAsync(conn, $"SET LOCAL ROLE {SqlText.Ident(options.Role)}", ct).ConfigureAwait(false);
            }
            catch (PostgresException ex)
            {
                throw PgPhaseException.OfOption(nameof(RestoreOptions.Role), $"role \"{options.Role}\" cannot be set: {ex.MessageText}; nothing was created",
                    ex.SqlState == PostgresErrorCodes.InsufficientPrivilege ? PgPhaseErrorCode.Permission : PgPhaseErrorCode.InvalidInput, ex);
            }
        }
        await RestoreSession.ExecuteAsync(conn, "ROLLBACK", ct).ConfigureAwait(false);
    }
}
