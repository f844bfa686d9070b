using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// The one-restore-per-target guard: a session advisory lock held on a connection of its own for the whole
/// restore, and watched. When the holding session ends (terminated backend, failover, network) the lock is gone
/// and a second restore could start, so <see cref="LostToken"/> fires and the restore stops its pg_restore.
/// </summary>
internal sealed class RestoreLock : IAsyncDisposable
{
    // Advisory lock key (two-int form): "pgph" and 1. Advisory locks are per database, so this is per target.
    private const int LockClass = 0x70677068;
    private const int LockObject = 1;

    private readonly NpgsqlConnection? _conn;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch = Task.CompletedTask;

    private RestoreLock(NpgsqlConnection? conn, int backendPid, TimeSpan checkEvery, string database)
    {
        _conn = conn;
        BackendPid = backendPid;
        if (conn is not null)
            _watch = Task.Run(() => WatchAsync(checkEvery, database));
    }

    /// <summary>The server process holding the lock (0 when running without it).</summary>
    public int BackendPid { get; }

    /// <summary>Cancelled when the lock is found lost.</summary>
    public CancellationToken LostToken => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    /// <summary>Why the lock was lost, for the message that stops the restore.</summary>
    public string? LossReason { get; private set; }

    /// <summary>
    /// Takes the lock, or fails at once naming who holds it. Behind a transaction-mode pooler the lock means
    /// nothing: refused unless <paramref name="allowPooler"/>, and then no lock is taken at all, so none is left
    /// behind on a pooled session.
    /// </summary>
    public static async Task<RestoreLock> AcquireAsync(PgConnectionInfo target, bool allowPooler, TimeSpan checkEvery,
        Action<string>? log, CancellationToken ct)
    {
        var connectionString = target.ToNpgsqlConnectionString($"pgphase restore lock (pid {Environment.ProcessId})");
        var conn = new NpgsqlConnection(connectionString);
        try
        {
            await target.OpenAsync(conn, ct).ConfigureAwait(false);
            if (await TransactionPoolerProbe.IsTransactionPooledAsync(conn, connectionString, ct).ConfigureAwait(false))
            {
                if (!allowPooler)
                    throw new PgPhaseException(
                        $"{target} is reached through a connection pooler in transaction mode (server sessions change between transactions): " +
                        "the restore lock cannot hold there and a second restore could run at the same time",
                        ". Connect to the server's own port (not the pooler's), or allow the pooler explicitly to go on without the lock",
                        PgPhaseErrorCode.Pooler);
                log?.Invoke($"{target} is reached through a transaction-mode pooler: going on without the restore lock, as asked; nothing stops a second restore into \"{target.Database}\"");
                await conn.DisposeAsync().ConfigureAwait(false);
                return new RestoreLock(null, 0, checkEvery, target.Database!);
            }
            // Advisory locks are re-entrant within a session: one this session already holds was taken by someone
            // else's restore through a pooler, and taking it again would let both run.
            await using (var mine = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND classid = {LockClass} AND objid = {LockObject} AND granted)", conn))
            {
                if ((bool)(await mine.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
                    throw new PgPhaseException($"target database \"{target.Database}\" is already being restored through this same server session (a pooler handed it over); one restore at a time per database",
                        PgPhaseErrorCode.RestoreBusy);
            }
            await using (var cmd = new NpgsqlCommand($"SELECT pg_try_advisory_lock({LockClass}, {LockObject}), pg_backend_pid()", conn))
            await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                await r.ReadAsync(ct).ConfigureAwait(false);
                if (r.GetBoolean(0))
                    return new RestoreLock(conn, r.GetInt32(1), checkEvery, target.Database!);
            }
            var holder = await DescribeHolderAsync(conn, ct).ConfigureAwait(false);
            throw new PgPhaseException($"target database \"{target.Database}\" is already being restored ({holder}); one restore at a time per database",
                PgPhaseErrorCode.RestoreBusy);
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Who holds the restore lock of the database <paramref name="conn"/> is connected to, or null when no restore runs there.</summary>
    internal static async Task<string?> HolderAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var held = new NpgsqlCommand($"""
            SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = {LockClass} AND objid = {LockObject} AND granted
                             AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
            """, conn);
        return (bool)(await held.ExecuteScalarAsync(ct).ConfigureAwait(false))! ? await DescribeHolderAsync(conn, ct).ConfigureAwait(false) : null;
    }

    private static async Task<string> DescribeHolderAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var who = new NpgsqlCommand($"""
            SELECT a.pid, a.usename, a.application_name, a.client_addr::text, a.backend_start
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.classid = {LockClass} AND l.objid = {LockObject} AND l.granted
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, conn);
        await using var r = await who.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false))
            return "another session";
        // Other users' client address and start time are hidden without pg_read_all_stats.
        return $"backend pid {r.GetInt32(0)}, user {(r.IsDBNull(1) ? "?" : r.GetString(1))}, application \"{(r.IsDBNull(2) ? "" : r.GetString(2))}\"" +
               (r.IsDBNull(3) ? "" : $", client {r.GetString(3)}") +
               (r.IsDBNull(4) ? "" : $", connected since {r.GetFieldValue<DateTime>(4):u}");
    }

    private async Task WatchAsync(TimeSpan every, string database)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, _stop.Token).ConfigureAwait(false);
                await using var cmd = new NpgsqlCommand(
                    $"SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory' AND classid = {LockClass} AND objid = {LockObject} AND granted)", _conn);
                if ((bool)(await cmd.ExecuteScalarAsync(_stop.Token).ConfigureAwait(false))!)
                    continue;
                Lose($"the restore lock on \"{database}\" is no longer held by its session (backend pid {BackendPid})");
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
            {
                Lose($"the session holding the restore lock on \"{database}\" (backend pid {BackendPid}) ended: {ex.Message}");
            }
            return;
        }
    }

    private void Lose(string reason)
    {
        LossReason = reason + "; pg_restore was stopped so that no second restore can run beside this one";
        _lost.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _watch.ConfigureAwait(false);
        if (_conn is not null)
        {
            // Closing the session releases the lock; the explicit unlock keeps a pooled session (when a pooler
            // sits in session mode) from holding it.
            try
            {
                if (!IsLost)
                {
                    await using var cmd = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockClass}, {LockObject})", _conn);
                    await cmd.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
            {
            }
            await _conn.DisposeAsync().ConfigureAwait(false);
        }
        _lost.Dispose();
        _stop.Dispose();
    }
}
