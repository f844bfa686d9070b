using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>
/// Runs a swap plan under the swap's advisory lock: sessions cleared as allowed (<see cref="SwapSessions"/>),
/// settings carried, both renames in one transaction, connection settings put back, each step journaled; a failure
/// before the renames committed is handed to <see cref="SwapRecovery"/>.
/// </summary>
internal static class SwapRun
{
    public static async Task<SwapResult> RunAsync(SwapPlan plan, Action<string>? log, CancellationToken ct)
    {
        var record = plan.Record;
        var live = plan.Database;
        var steps = new List<string>();
        var journal = SwapJournal.Load(plan.JournalPath);
        void Step(string message)
        {
            steps.Add(message);
            record.Events.Add(new SwapEvent(DateTimeOffset.UtcNow, message));
            log?.Invoke(message);
        }
        void Save()
        {
            journal.Server = plan.Server;
            journal.Database = live;
            journal.Save();
        }

        await using var conn = await SwapCatalog.OpenAsync(plan.Connection, ct).ConfigureAwait(false);
        if (!await SwapCatalog.TryLockAsync(conn, live, ct).ConfigureAwait(false))
            throw new PgPhaseException($"another swap of \"{live}\" is running on {plan.Server}", PgPhaseErrorCode.SwapBusy);
        foreach (var note in plan.Notes)
            log?.Invoke("note: " + note);

        journal.Pending = record;
        Step(Opening(plan, journal.Path));
        Save();

        // Read again under the lock: the catalog may have moved since the plan was made.
        var (incoming, outgoing) = await SwapConvergence.CurrentAsync(conn, record, ct).ConfigureAwait(false);
        if (outgoing is null && record.Outgoing is not null)
            Step($"the database that held \"{live}\" (OID {record.Outgoing.Oid}) no longer exists: \"{incoming.Name}\" takes the name, nothing is moved aside");
        var renames = await SwapConvergence.ConvergeAsync(conn, record, incoming, outgoing, ct).ConfigureAwait(false);
        var ended = new List<string>();
        CarryOutcome? carry = null;
        bool committed = renames.Count == 0;
        try
        {
            if (renames.Count > 0)
            {
                var renamed = renames.Select(r => r.From).ToList();
                await SwapCatalog.CheckMayRenameAsync(conn, new[] { incoming, outgoing }.Where(d => d is not null && renamed.Contains(d.Name))!, ct).ConfigureAwait(false);
                await SwapSessions.ClearAsync(conn, plan, renamed, record, Step, Save, ended, ct).ConfigureAwait(false);
                if (record.Carry && outgoing is not null)
                {
                    carry = await CarryAsync(conn, outgoing, incoming, record, Step, ct).ConfigureAwait(false);
                    Save();
                }
                await RenameAsync(conn, renames, Step, ct).ConfigureAwait(false);
                committed = true;
                record.Step = SwapStep.Renamed;
                Save();
            }
        }
        catch (Exception ex) when (!committed)
        {
            await SwapRecovery.PutBackAsync(plan, record, journal, Step, Save, ex, log).ConfigureAwait(false);
            throw;
        }

        var final = await FinishAsync(conn, record, live, Step, ct).ConfigureAwait(false);
        journal.Pending = null;
        // A rollback only takes back an unfinished swap: what an undo would reverse stays the last completed one.
        if (record.Kind != SwapKind.Rollback)
            journal.Last = record;
        Save();

        if (plan.Deferred is not null)
            throw new PgPhaseException($"an interrupted {record.Kind.ToString().ToLowerInvariant()} of \"{live}\" was finished first ({journal.Path}): " +
                                    $"\"{live}\" is the database that was \"{record.Incoming.Name}\". {char.ToUpperInvariant(plan.Deferred[0])}{plan.Deferred[1..]}", PgPhaseErrorCode.SwapState);
        return Result(plan, record, final, ended, carry, steps);
    }

    private static string Opening(SwapPlan plan, string journalPath)
    {
        var record = plan.Record;
        var kind = record.Kind.ToString().ToLowerInvariant();
        return plan.Resumes
            ? $"{kind} of \"{plan.Database}\" resumed from step {record.Step} (journal {journalPath})"
            : $"{kind} of \"{plan.Database}\": \"{record.Incoming.Name}\" takes the name" +
              (record.Outgoing is null ? "" : $", \"{record.Outgoing.Name}\" becomes \"{record.Outgoing.Target}\"") + $" (journal {journalPath})";
    }

    /// <summary>After the renames: connection settings put back, and the databases as they now are.</summary>
    private static async Task<(DatabaseState Incoming, DatabaseState? Outgoing)> FinishAsync(NpgsqlConnection conn, SwapRecord record, string live,
        Action<string> step, CancellationToken ct)
    {
        foreach (var change in await SwapRecovery.RestoreConnectionsAsync(conn, record, carried: true, ct).ConfigureAwait(false))
            step($"connection settings restored: {change}");
        record.Step = SwapStep.Done;
        var final = await SwapConvergence.CurrentAsync(conn, record, ct).ConfigureAwait(false);
        step($"done: \"{live}\" is OID {final.Incoming.Oid} (was \"{record.Incoming.Name}\")" +
             (final.Outgoing is null ? "" : $"; \"{final.Outgoing.Name}\" is OID {final.Outgoing.Oid}"));
        return final;
    }

    /// <summary>Carries the outgoing database's settings to the incoming one, recording what was and was not carried.</summary>
    private static async Task<CarryOutcome> CarryAsync(NpgsqlConnection conn, DatabaseState outgoing, DatabaseState incoming, SwapRecord record,
        Action<string> step, CancellationToken ct)
    {
        var carry = await DatabaseCarry.RunAsync(conn, outgoing, incoming, apply: true, ct).ConfigureAwait(false);
        record.Step = SwapStep.Carried;
        step(carry.Carried.Count == 0 ? $"nothing to carry from \"{outgoing.Name}\" to \"{incoming.Name}\""
                                      : $"carried to \"{incoming.Name}\": {string.Join("; ", carry.Carried)}");
        foreach (var refused in carry.NotCarried)
            step($"not carried: {refused}");
        return carry;
    }

    private static SwapResult Result(SwapPlan plan, SwapRecord record, (DatabaseState Incoming, DatabaseState? Outgoing) final, List<string> ended,
        CarryOutcome? carry, List<string> steps) => new()
    {
        Server = plan.Server,
        Database = plan.Database,
        Kind = record.Kind,
        ReplacementName = record.Incoming.Name,
        PreviousDatabase = final.Outgoing?.Name,
        DatabaseOid = final.Incoming.Oid,
        PreviousOid = final.Outgoing?.Oid,
        Resumed = plan.Resumes,
        SessionsEnded = ended,
        Carried = carry?.Carried ?? [],
        NotCarried = carry?.NotCarried ?? [],
        Steps = steps,
        CompletedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>Both renames in one transaction: either both commit or neither does, so the live name always names a database.</summary>
    private static async Task RenameAsync(NpgsqlConnection conn, List<DatabaseRename> renames, Action<string> step, CancellationToken ct)
    {
        await using (var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false))
        {
            try
            {
                for (int i = 0; i < renames.Count; i++)
                {
                    var r = renames[i];
                    await SwapCatalog.ExecuteAsync(conn, $"ALTER DATABASE {SqlText.Ident(r.From)} RENAME TO {SqlText.Ident(r.To)}", ct, tx).ConfigureAwait(false);
                    step($"renaming \"{r.From}\" to \"{r.To}\"");
                    if (i + 1 < renames.Count)
                        await PausePoint.ReachedAsync("between-renames", ct).ConfigureAwait(false);
                }
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectInUse)
            {
                await tx.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                var sessions = await SwapCatalog.SessionsAsync(conn, renames.Select(r => r.From).ToList(), ct).ConfigureAwait(false);
                throw new PgPhaseException($"{ex.MessageText} ({ex.Detail}){(sessions.Count == 0 ? "" : ": " + string.Join("; ", sessions))}; nothing was renamed",
                    PgPhaseErrorCode.SwapSessions, ex);
            }
        }
        step($"committed: {string.Join(", then ", renames)}");
    }
}
