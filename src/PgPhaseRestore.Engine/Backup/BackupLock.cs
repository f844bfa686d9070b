using System.Text.Json;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>
/// Makes one run the only writer of a backup location. The lock is written, read back after a pause, and
/// only the run whose id is then there goes on; stores that can create or replace conditionally decide races
/// at once, the read-back decides them where conditions are ignored. A store shown to refuse a second create
/// (a conditional server, an atomic local link) skips the pause: its create already decided the race. The holder refreshes a heartbeat; a lock
/// whose heartbeat is old, or whose process on this host is gone, is taken over. Before each step that makes
/// something visible the holder checks that the lock is still its own.
/// </summary>
internal sealed class BackupLock : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = Serialization.EngineJson.Lock;

    private readonly ILockStore _store;
    private readonly string _target;
    private readonly BackupLockTiming _timing;
    private readonly Action<string>? _log;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    // One store call of this run at a time: on a server whose writes are not atomic, a read-back racing this run's own
    // heartbeat write sees a new body under the old checksum, and fails however often it is retried.
    private readonly SemaphoreSlim _io = new(1, 1);
    private static readonly TimeSpan RefreshTimeout = TimeSpan.FromSeconds(30);
    private BackupLockHolder _mine;
    private Task? _heartbeat;
    private string? _lostReason;

    private BackupLock(ILockStore store, string target, BackupLockTiming timing, Action<string>? log)
    {
        _store = store;
        _target = target;
        _timing = timing;
        _log = log;
        var now = DateTimeOffset.UtcNow;
        _mine = new BackupLockHolder
        {
            RunId = Guid.NewGuid().ToString("N"),
            Host = RunIdentity.Host,
            Pid = RunIdentity.Pid,
            ProcessStarted = RunIdentity.ProcessStarted,
            Started = now,
            Heartbeat = now,
            Location = target,
        };
    }

    public string RunId => _mine.RunId;

    /// <summary>The abandoned holder this run took the lock from, if any: its leftovers may be removed.</summary>
    public BackupLockHolder? TakenOverFrom { get; private set; }

    /// <summary>Cancelled when the heartbeat finds that another run holds the lock now.</summary>
    public CancellationToken Lost => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    public string LostMessage => $"{_target}: {_lostReason ?? "the lock was lost"}; this backup stopped and removed what it had written, leaving the other run's work alone";

    public static async Task<BackupLock> AcquireAsync(ILockStore store, string target, BackupLockTiming timing, Action<string>? log, CancellationToken ct)
    {
        var held = new BackupLock(store, target, timing, log);
        await held.TakeAsync(ct).ConfigureAwait(false);
        held._heartbeat = Task.Run(() => held.HeartbeatAsync(held._stop.Token), CancellationToken.None);
        return held;
    }

    private async Task TakeAsync(CancellationToken ct)
    {
        var existing = await ReadWholeAsync(ct).ConfigureAwait(false);
        bool written;
        if (existing is null)
        {
            written = await _store.CreateAsync(Serialize(_mine), ct).ConfigureAwait(false);
        }
        else
        {
            var holder = Parse(existing);
            if (WhyAbandoned(holder, existing) is not { } why)
                throw Held(holder, existing);
            written = await _store.ReplaceAsync(Serialize(_mine), existing.ETag, ct).ConfigureAwait(false);
            if (written)
            {
                TakenOverFrom = holder;
                _log?.Invoke($"{_target}: took over the lock {_store.Name} from {Describe(holder)}: {why}");
            }
        }
        if (!written)
            throw await HeldNowAsync(ct).ConfigureAwait(false);
        if (existing is null && await _store.RefusesSecondCreateAsync(Serialize(_mine), ct).ConfigureAwait(false))
            return;

        var (current, after) = await SettledAsync(ct).ConfigureAwait(false);
        // Two runs that wrote at the same moment to a store that does not write atomically (s3rver writes the file as
        // the bytes arrive) can leave a lock that is neither's: each waits a pause of its own and writes again, so that
        // one of them is first, and the other then finds its lock whole.
        for (int torn = 0; current is null && torn < 3; torn++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(100, 1500)), ct).ConfigureAwait(false);
            var again = await ReadWholeAsync(ct).ConfigureAwait(false) ?? throw Vanished();
            if (Parse(again) is { } holder)
            {
                (current, after) = (holder, again);
                break;
            }
            if (!await _store.ReplaceAsync(Serialize(_mine), again.ETag, ct).ConfigureAwait(false))
                throw await HeldNowAsync(ct).ConfigureAwait(false);
            (current, after) = await SettledAsync(ct).ConfigureAwait(false);
        }
        if (current?.RunId != _mine.RunId)
            throw Held(current, after);
    }

    /// <summary>The lock as it reads once a write has had time to be overwritten by a run that wrote at the same moment.</summary>
    private async Task<(BackupLockHolder? Holder, LockRecord Record)> SettledAsync(CancellationToken ct)
    {
        await Task.Delay(_timing.Settle, ct).ConfigureAwait(false);
        var after = await ReadWholeAsync(ct).ConfigureAwait(false) ?? throw Vanished();
        return (Parse(after), after);
    }

    private PgPhaseException Vanished() =>
        new($"{_target}: the lock {_store.Name} vanished right after this backup wrote it; another run may be cleaning up or starting; nothing was written, try again", PgPhaseErrorCode.BackupBusy);

    /// <summary>Fails unless the lock is still this run's; call before each step that makes something visible.</summary>
    public async Task VerifyAsync(string beforeStep, CancellationToken ct)
    {
        if (IsLost)
            throw new PgPhaseException(LostMessage, PgPhaseErrorCode.BackupBusy);
        LockRecord? record;
        await _io.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            record = await _store.ReadAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _io.Release();
        }
        var holder = record is null ? null : Parse(record);
        if (holder?.RunId == _mine.RunId)
            return;
        var who = record is null ? "the lock was removed by someone else" : $"{Describe(holder)} took over the lock";
        throw new PgPhaseException($"{_target}: before {beforeStep}, {who}; this backup stopped there, leaving the other run's work alone", PgPhaseErrorCode.BackupBusy);
    }

    private async Task HeartbeatAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_timing.Heartbeat, stop).ConfigureAwait(false);
                await _io.WaitAsync(stop).ConfigureAwait(false);
                try
                {
                    // A refresh once begun is finished, never abandoned: a PUT the client gives up on may still land
                    // after the lock's removal and bring it back. Only a hung request is given up, after a while.
                    using var hung = new CancellationTokenSource(RefreshTimeout);
                    if (!await RefreshAsync(hung.Token).ConfigureAwait(false))
                        return;
                }
                finally
                {
                    _io.Release();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A missed heartbeat is not fatal: the lock only goes stale after several, and every step re-checks it.
                _log?.Invoke($"{_target}: could not refresh the heartbeat of {_store.Name} ({ex.Message.Split('\n', 2)[0]}); trying again in {_timing.Heartbeat.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>One heartbeat: false when the lock turned out to be another run's (the run is then lost).</summary>
    private async Task<bool> RefreshAsync(CancellationToken stop)
    {
        var record = await _store.ReadAsync(stop).ConfigureAwait(false);
        var holder = record is null ? null : Parse(record);
        if (holder?.RunId != _mine.RunId)
        {
            LoseTo(record is null ? "the lock was removed by someone else" : $"{Describe(holder)} took over the lock");
            return false;
        }
        var refreshed = _mine with { Heartbeat = DateTimeOffset.UtcNow };
        if (!await _store.ReplaceAsync(Serialize(refreshed), record!.ETag, stop).ConfigureAwait(false))
        {
            LoseTo("another run replaced the lock");
            return false;
        }
        _mine = refreshed;
        return true;
    }

    private void LoseTo(string reason)
    {
        _lostReason = reason;
        _log?.Invoke($"{_target}: {reason}; stopping this backup");
        _lost.Cancel();
    }

    /// <summary>
    /// Stops the heartbeat and removes the lock if it is still this run's; a failure to do so is logged, never thrown.
    /// A few seconds at most: it runs as a backup ends or is stopped, and a lock left behind goes stale for the next run.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_heartbeat is not null)
            await _heartbeat.ConfigureAwait(false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var record = await _store.ReadAsync(timeout.Token).ConfigureAwait(false);
            if (record is not null && Parse(record)?.RunId == _mine.RunId)
                await _store.DeleteAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _log?.Invoke($"{_target}: could not remove the lock {_store.Name} ({ex.Message.Split('\n', 2)[0]}); the next backup takes it over once its heartbeat is {_timing.StaleAfter.TotalMinutes:0.#} minutes old");
        }
        _stop.Dispose();
        _lost.Dispose();
        _io.Dispose();
    }

    /// <summary>Why a lock no longer protects a live run, or null while it does.</summary>
    private string? WhyAbandoned(BackupLockHolder? holder, LockRecord record)
    {
        var now = DateTimeOffset.UtcNow;
        if (holder is null)
        {
            // Unreadable (another tool's, or torn): only its age can tell.
            var age = record.LastModified is { } modified ? now - modified : (TimeSpan?)null;
            return age > _timing.StaleAfter ? $"its content is unreadable and it was last written {Age(age.Value)} ago" : null;
        }
        if (now - holder.Heartbeat > _timing.StaleAfter)
            return $"its last heartbeat was {Age(now - holder.Heartbeat)} ago (stale after {Age(_timing.StaleAfter)})";
        if (RunIdentity.IsThisHost(holder.Host) && !RunIdentity.IsAlive(holder.Pid, holder.ProcessStarted))
            return $"its process {holder.Pid} no longer runs on this host";
        return null;
    }

    /// <summary>Reads the lock; a record that does not parse is read again a few times, as it may be caught mid-write on stores without atomic writes.</summary>
    private async Task<LockRecord?> ReadWholeAsync(CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            var record = await _store.ReadAsync(ct).ConfigureAwait(false);
            if (record is null || Parse(record) is not null || attempt == 3)
                return record;
            await Task.Delay(250, ct).ConfigureAwait(false);
        }
    }

    private async Task<PgPhaseException> HeldNowAsync(CancellationToken ct)
    {
        var record = await ReadWholeAsync(ct).ConfigureAwait(false);
        return record is null
            ? new PgPhaseException($"{_target}: another backup took the lock {_store.Name} at the same moment and has already released it; nothing was written, try again", PgPhaseErrorCode.BackupBusy)
            : Held(Parse(record), record);
    }

    private PgPhaseException Held(BackupLockHolder? holder, LockRecord record)
    {
        var now = DateTimeOffset.UtcNow;
        var heartbeat = holder is null
            ? record.LastModified is { } m ? $"lock written {Age(now - m)} ago" : "lock age unknown"
            : $"last heartbeat {Age(now - holder.Heartbeat)} ago";
        return new PgPhaseException(
            $"{_target}: another backup is writing here ({Describe(holder)}, {heartbeat}); this backup did not start and changed nothing. " +
            $"If that run is gone, its lock {_store.Name} is taken over once its heartbeat is {Age(_timing.StaleAfter)} old", PgPhaseErrorCode.BackupBusy);
    }

    private static string Describe(BackupLockHolder? holder) => holder?.ToString() ?? "a run whose lock cannot be read";

    private static string Age(TimeSpan t) =>
        t.TotalSeconds < 90 ? $"{Math.Max(0, t.TotalSeconds):0} s" : t.TotalMinutes < 90 ? $"{t.TotalMinutes:0} min" : $"{t.TotalHours:0.#} h";

    internal static string Serialize(BackupLockHolder holder) => Serialization.EngineJson.Serialize(holder, Json);

    internal static BackupLockHolder? Parse(LockRecord record)
    {
        try
        {
            var holder = Serialization.EngineJson.Deserialize<BackupLockHolder>(record.Text, Json);
            return string.IsNullOrEmpty(holder?.RunId) ? null : holder;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
