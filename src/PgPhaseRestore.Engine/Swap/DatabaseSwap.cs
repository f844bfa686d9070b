using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>
/// Trades the names of two databases on one server, as an owner with CREATEDB can: the replacement takes the
/// live name and the live database moves aside, both renames in one transaction, so that the live name is never
/// missing. Sessions are refused, or with force blocked and ended; the live database's settings, comment, grants
/// and connection limit are carried to the replacement; every step is journaled and the whole is resumable.
/// </summary>
/// <remarks>
/// A rerun reads the catalog: the two databases are followed by OID, and the renames still needed are the
/// difference between their names now and the names they are going to. Whether the earlier run died before the
/// renames, after them, or (had the server committed only one) between them, the rerun ends with exactly one
/// database holding the live name. An undo of an unfinished swap rolls it back the same way.
/// </remarks>
public static class DatabaseSwap
{
    /// <summary>Plans the swap, undo or rollback and runs it.</summary>
    public static async Task<SwapResult> RunAsync(SwapOptions options, Action<string>? log, CancellationToken ct) =>
        await RunAsync(await PlanAsync(options, ct).ConfigureAwait(false), log, ct).ConfigureAwait(false);

    /// <summary>Reads the catalog and the journal and says what the operation would do; changes nothing.</summary>
    public static async Task<SwapPlan> PlanAsync(SwapOptions options, CancellationToken ct)
    {
        var live = DatabaseNames.Checked(options.Database, "live database");
        var journalPath = options.JournalPath ?? SwapJournal.DefaultPath(options.Server, live);
        var journal = SwapJournal.Load(journalPath);
        await using var conn = await SwapCatalog.OpenAsync(options.Server, ct).ConfigureAwait(false);
        var notes = new List<string>();
        string? deferred = null;
        SwapRecord record;
        bool resumes = false;

        if (journal.Pending is { } pending)
        {
            resumes = true;
            if (options.Undo && pending.Kind == SwapKind.Swap && pending.Outgoing is not null)
                record = await RollbackOfAsync(conn, pending, ct).ConfigureAwait(false);
            else
            {
                record = pending;
                var asked = options.Undo ? "the undo asked for" : options.Replacement is { } r ? $"the swap of \"{live}\" with \"{r}\" asked for" : "the swap asked for";
                bool same = options.Undo ? pending.Kind != SwapKind.Swap
                    : pending.Kind == SwapKind.Swap && (options.Replacement is null || options.Replacement == pending.Incoming.Name);
                if (!same)
                    deferred = $"{asked} was not started; run it again now that the interrupted {pending.Kind.ToString().ToLowerInvariant()} is finished";
            }
        }
        else if (options.Undo)
            record = await PlanUndoAsync(conn, journal, options, live, notes, ct).ConfigureAwait(false);
        else if (await AlreadyDoneAsync(conn, journal.Last, options, live, ct).ConfigureAwait(false) is { } done)
        {
            // Run again after it finished (the first run killed before it could say so): the catalog shows it done.
            record = done;
            resumes = true;
            notes.Add($"this swap finished earlier (journal {journal.Path}); nothing is left to do");
        }
        else
            record = await PlanSwapAsync(conn, options, live, notes, ct).ConfigureAwait(false);

        var (incoming, outgoing) = await CurrentAsync(conn, record, ct).ConfigureAwait(false);
        var renames = await ConvergeAsync(conn, record, incoming, outgoing, ct).ConfigureAwait(false);
        var renamed = renames.Select(r => r.From).ToList();
        if (renames.Count > 0)
            await SwapCatalog.CheckMayRenameAsync(conn, new[] { incoming, outgoing }.Where(d => d is not null && renamed.Contains(d.Name))!, ct).ConfigureAwait(false);
        var carry = record.Carry && outgoing is not null && renames.Count > 0
            ? (await DatabaseCarry.RunAsync(conn, outgoing, incoming, apply: false, ct).ConfigureAwait(false)).Carried
            : [];
        return new SwapPlan
        {
            Server = $"{options.Server.Host ?? "localhost"}:{options.Server.Port}",
            Database = live,
            Kind = record.Kind,
            Resumes = resumes,
            Incoming = incoming.Name,
            Aside = record.Outgoing?.Target,
            Renames = renames,
            Sessions = await SwapCatalog.SessionsAsync(conn, renamed, ct).ConfigureAwait(false),
            Carry = carry,
            Force = options.Force,
            Notes = notes,
            Deferred = deferred,
            Record = record,
            JournalPath = journalPath,
            Connection = options.Server,
            SessionEndWait = options.SessionEndWait,
        };
    }

    private static async Task<SwapRecord?> AlreadyDoneAsync(NpgsqlConnection conn, SwapRecord? last, SwapOptions options, string live, CancellationToken ct)
    {
        if (last is not { Kind: SwapKind.Swap } || options.Replacement != last.Incoming.Name)
            return null;
        if (await SwapCatalog.ByNameAsync(conn, options.Replacement, ct).ConfigureAwait(false) is not null)
            return null;
        return (await SwapCatalog.ByNameAsync(conn, live, ct).ConfigureAwait(false))?.Oid == last.Incoming.Oid ? last : null;
    }

    private static async Task<SwapRecord> PlanSwapAsync(NpgsqlConnection conn, SwapOptions options, string live, List<string> notes, CancellationToken ct)
    {
        var name = options.Replacement ?? throw new ArgumentException($"name the database that is to take the name \"{live}\"");
        if (name == live)
            throw new ArgumentException($"\"{live}\" cannot be swapped with itself");
        var incoming = await SwapCatalog.ByNameAsync(conn, name, ct).ConfigureAwait(false)
            ?? throw new SwapException($"the replacement database \"{name}\" does not exist", SwapFailure.NotFound);
        var outgoing = await SwapCatalog.ByNameAsync(conn, live, ct).ConfigureAwait(false);
        RefuseTemplate(incoming);
        if (outgoing is null)
            notes.Add($"no database is named \"{live}\": \"{name}\" takes the name and nothing is moved aside");
        else
            RefuseTemplate(outgoing);
        var aside = outgoing is null ? null : await AsideNameAsync(conn, options.AsideName, DatabaseNames.Before(live, DateTimeOffset.UtcNow), ct).ConfigureAwait(false);
        return new SwapRecord
        {
            Kind = SwapKind.Swap,
            Outgoing = outgoing is null ? null : Side(outgoing, aside!, notes),
            Incoming = Side(incoming, live, notes),
            Carry = options.CarrySettings && outgoing is not null,
            Origin = options.Origin,
            StartedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>
    /// Undo: the database the last completed operation put aside (followed by OID, whatever it is called now)
    /// takes the live name back; without a journal, the one database named &lt;live&gt;__before_*.
    /// </summary>
    private static async Task<SwapRecord> PlanUndoAsync(NpgsqlConnection conn, SwapJournal journal, SwapOptions options, string live, List<string> notes,
        CancellationToken ct)
    {
        var current = await SwapCatalog.ByNameAsync(conn, live, ct).ConfigureAwait(false);
        var last = journal.Last;
        DatabaseState back;
        if (options.Replacement is { } named)
            back = await SwapCatalog.ByNameAsync(conn, named, ct).ConfigureAwait(false)
                ?? throw new SwapException($"the database to bring back, \"{named}\", does not exist", SwapFailure.NotFound);
        else if (last?.Outgoing is { } aside)
        {
            back = await SwapCatalog.ByOidAsync(conn, aside.Oid, ct).ConfigureAwait(false)
                ?? throw new SwapException($"the database the last {last.Kind.ToString().ToLowerInvariant()} of \"{live}\" put aside (\"{aside.Target}\", OID {aside.Oid}) no longer exists", SwapFailure.NotFound);
            if (current is not null && current.Oid != last.Incoming.Oid)
                notes.Add($"\"{live}\" (OID {current.Oid}) is not the database the last {last.Kind.ToString().ToLowerInvariant()} put in place (OID {last.Incoming.Oid}); it is moved aside all the same");
        }
        else
        {
            var candidates = await SwapCatalog.StartingWithAsync(conn, DatabaseNames.BeforePrefix(live), ct).ConfigureAwait(false);
            back = candidates.Count switch
            {
                1 => candidates[0],
                0 => throw new SwapException($"nothing to undo: no journal of an earlier swap of \"{live}\" ({journal.Path}) and no database named {DatabaseNames.BeforePrefix(live)}*", SwapFailure.NotFound),
                _ => throw new SwapException($"no journal of an earlier swap of \"{live}\" ({journal.Path}) and several databases it could have put aside " +
                                            $"({string.Join(", ", candidates.Select(c => $"\"{c.Name}\""))}): name the one to bring back", SwapFailure.State),
            };
        }
        if (back.Name == live)
            throw new SwapException($"\"{live}\" already is the database to bring back: nothing to undo", SwapFailure.State);
        RefuseTemplate(back);
        string? asideName = null;
        if (current is not null)
        {
            RefuseTemplate(current);
            // The database going aside gets back the name it had before the swap, when that is known and free.
            var former = last is not null && last.Incoming.Oid == current.Oid && last.Incoming.Name != live ? last.Incoming.Name : null;
            asideName = options.AsideName
                ?? (former is not null && await SwapCatalog.ByNameAsync(conn, former, ct).ConfigureAwait(false) is null ? former : null)
                ?? await AsideNameAsync(conn, null, DatabaseNames.Undone(live, DateTimeOffset.UtcNow), ct).ConfigureAwait(false);
        }
        return new SwapRecord
        {
            Kind = SwapKind.Undo,
            Outgoing = current is null ? null : Side(current, asideName!, notes),
            Incoming = Side(back, live, notes),
            Carry = false,
            StartedAt = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>The interrupted swap taken back: each database returns to its name and its own connection settings.</summary>
    private static async Task<SwapRecord> RollbackOfAsync(NpgsqlConnection conn, SwapRecord pending, CancellationToken ct)
    {
        var original = pending.Outgoing!;
        async Task<string> NameNow(SwapSide s) => (await SwapCatalog.ByOidAsync(conn, s.Oid, ct).ConfigureAwait(false))?.Name ?? s.Name;
        return new SwapRecord
        {
            Kind = SwapKind.Rollback,
            Outgoing = new SwapSide
            {
                Oid = pending.Incoming.Oid, Name = await NameNow(pending.Incoming).ConfigureAwait(false), Target = pending.Incoming.Name,
                AllowConnections = pending.Incoming.AllowConnections, ConnectionLimit = pending.Incoming.ConnectionLimit,
            },
            Incoming = new SwapSide
            {
                Oid = original.Oid, Name = await NameNow(original).ConfigureAwait(false), Target = original.Name,
                AllowConnections = original.AllowConnections, ConnectionLimit = original.ConnectionLimit,
            },
            Carry = false,
            Origin = pending.Origin,
            StartedAt = DateTimeOffset.UtcNow,
        };
    }

    private static void RefuseTemplate(DatabaseState db)
    {
        if (db.IsTemplate)
            throw new SwapException($"\"{db.Name}\" is a template database; templates are not swapped", SwapFailure.State);
    }

    /// <summary>
    /// Records the connection settings a database gets back. A database that already refuses connections is
    /// most likely left over from an interrupted swap whose journal is gone, so it is opened afterwards.
    /// </summary>
    private static SwapSide Side(DatabaseState db, string target, List<string> notes)
    {
        if (!db.AllowConnections)
            notes.Add($"\"{db.Name}\" does not accept connections now (an interrupted swap whose journal is gone?); it will afterwards. Block it again with ALTER DATABASE ... ALLOW_CONNECTIONS false if that was meant");
        if (db.ConnectionLimit == 0)
            notes.Add($"\"{db.Name}\" has CONNECTION LIMIT 0 now (an interrupted swap whose journal is gone?); it gets no limit afterwards");
        return new SwapSide
        {
            Oid = db.Oid, Name = db.Name, Target = target,
            AllowConnections = true, ConnectionLimit = db.ConnectionLimit == 0 ? -1 : db.ConnectionLimit,
        };
    }

    /// <summary>An explicit aside name must be free; a generated one gets _2, _3... when a swap in the same second took it.</summary>
    private static async Task<string> AsideNameAsync(NpgsqlConnection conn, string? requested, string generated, CancellationToken ct)
    {
        if (requested is not null)
        {
            DatabaseNames.Checked(requested, "aside");
            if (await SwapCatalog.ByNameAsync(conn, requested, ct).ConfigureAwait(false) is not null)
                throw new SwapException($"a database named \"{requested}\" already exists; choose another name to move the live database to", SwapFailure.State);
            return requested;
        }
        var name = generated;
        for (int n = 2; await SwapCatalog.ByNameAsync(conn, name, ct).ConfigureAwait(false) is not null; n++)
            name = DatabaseNames.Checked($"{generated}_{n}", "aside");
        return name;
    }

    private static async Task<(DatabaseState Incoming, DatabaseState? Outgoing)> CurrentAsync(NpgsqlConnection conn, SwapRecord record, CancellationToken ct)
    {
        var incoming = await SwapCatalog.ByOidAsync(conn, record.Incoming.Oid, ct).ConfigureAwait(false)
            ?? throw new SwapException($"the database that was to take the name \"{record.Incoming.Target}\" (\"{record.Incoming.Name}\", OID {record.Incoming.Oid}) no longer exists" +
                                       (record.Kind == SwapKind.Swap ? "; undo the swap to give the live database its connection settings back" : ""), SwapFailure.NotFound);
        var outgoing = record.Outgoing is null ? null : await SwapCatalog.ByOidAsync(conn, record.Outgoing.Oid, ct).ConfigureAwait(false);
        return (incoming, outgoing);
    }

    /// <summary>
    /// The renames still needed to bring both databases from their names now to their target names, ordered so
    /// that each name is free when it is taken. A target held by a third database stops everything.
    /// </summary>
    private static async Task<List<DatabaseRename>> ConvergeAsync(NpgsqlConnection conn, SwapRecord record, DatabaseState incoming, DatabaseState? outgoing,
        CancellationToken ct)
    {
        var moves = new List<(uint Oid, DatabaseRename Rename)>();
        if (outgoing is not null && outgoing.Name != record.Outgoing!.Target)
            moves.Add((outgoing.Oid, new DatabaseRename(outgoing.Name, record.Outgoing.Target)));
        if (incoming.Name != record.Incoming.Target)
            moves.Add((incoming.Oid, new DatabaseRename(incoming.Name, record.Incoming.Target)));
        var ours = new HashSet<uint> { incoming.Oid };
        if (outgoing is not null)
            ours.Add(outgoing.Oid);
        foreach (var (_, rename) in moves)
        {
            if (await SwapCatalog.ByNameAsync(conn, rename.To, ct).ConfigureAwait(false) is { } holder && !ours.Contains(holder.Oid))
                throw new SwapException($"cannot rename \"{rename.From}\" to \"{rename.To}\": another database (OID {holder.Oid}) has that name now; " +
                                        "move it away, then run again", SwapFailure.State);
        }
        // The database giving up a name is renamed before the one taking it.
        if (moves.Count == 2 && moves[0].Rename.To == moves[1].Rename.From)
        {
            if (moves[1].Rename.To == moves[0].Rename.From)
                throw new SwapException($"\"{moves[0].Rename.From}\" and \"{moves[1].Rename.From}\" would trade names directly, which a swap never asks for; rename one of them by hand", SwapFailure.State);
            moves.Reverse();
        }
        return moves.Select(m => m.Rename).ToList();
    }

    /// <summary>
    /// Runs a plan: blocks and ends sessions as allowed, carries settings, and renames in one transaction, recording
    /// each step.
    /// </summary>
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
            throw new SwapException($"another swap of \"{live}\" is running on {plan.Server}", SwapFailure.Busy);
        foreach (var note in plan.Notes)
            log?.Invoke("note: " + note);

        journal.Pending = record;
        Step(Opening(plan, journal.Path));
        Save();

        // Read again under the lock: the catalog may have moved since the plan was made.
        var (incoming, outgoing) = await CurrentAsync(conn, record, ct).ConfigureAwait(false);
        if (outgoing is null && record.Outgoing is not null)
            Step($"the database that held \"{live}\" (OID {record.Outgoing.Oid}) no longer exists: \"{incoming.Name}\" takes the name, nothing is moved aside");
        var renames = await ConvergeAsync(conn, record, incoming, outgoing, ct).ConfigureAwait(false);
        var ended = new List<string>();
        CarryOutcome? carry = null;
        bool committed = renames.Count == 0;
        try
        {
            if (renames.Count > 0)
            {
                var renamed = renames.Select(r => r.From).ToList();
                await SwapCatalog.CheckMayRenameAsync(conn, new[] { incoming, outgoing }.Where(d => d is not null && renamed.Contains(d.Name))!, ct).ConfigureAwait(false);
                await ClearSessionsAsync(conn, plan, renamed, record, Step, Save, ended, ct).ConfigureAwait(false);
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
            await PutBackAsync(plan, record, journal, Step, Save, ex, log).ConfigureAwait(false);
            throw;
        }

        var final = await FinishAsync(conn, record, live, Step, ct).ConfigureAwait(false);
        journal.Pending = null;
        // A rollback only takes back an unfinished swap: what an undo would reverse stays the last completed one.
        if (record.Kind != SwapKind.Rollback)
            journal.Last = record;
        Save();

        if (plan.Deferred is not null)
            throw new SwapException($"an interrupted {record.Kind.ToString().ToLowerInvariant()} of \"{live}\" was finished first ({journal.Path}): " +
                                    $"\"{live}\" is the database that was \"{record.Incoming.Name}\". {char.ToUpperInvariant(plan.Deferred[0])}{plan.Deferred[1..]}", SwapFailure.State);
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
        foreach (var change in await RestoreConnectionsAsync(conn, record, carried: true, ct).ConfigureAwait(false))
            step($"connection settings restored: {change}");
        record.Step = SwapStep.Done;
        var final = await CurrentAsync(conn, record, ct).ConfigureAwait(false);
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

    /// <summary>
    /// Without force, any session on a database to be renamed refuses the swap. With force: new connections are
    /// blocked first (so that none arrive between ending the sessions and the renames), then the sessions ended.
    /// </summary>
    private static async Task ClearSessionsAsync(NpgsqlConnection conn, SwapPlan plan, List<string> renamed, SwapRecord record,
        Action<string> step, Action save, List<string> ended, CancellationToken ct)
    {
        var sessions = await SwapCatalog.SessionsAsync(conn, renamed, ct).ConfigureAwait(false);
        if (!plan.Force)
        {
            if (sessions.Count > 0)
                throw new SwapException($"{Count(sessions)} connected to {Names(renamed)}, which PostgreSQL does not rename while anyone is connected: " +
                                        $"{string.Join("; ", sessions)}. End them, or force the swap to block new connections and end them", SwapFailure.Sessions);
            return;
        }
        RefuseUnendable(sessions, renamed);
        record.Step = SwapStep.Blocked;
        save();
        foreach (var name in renamed)
            step($"blocked new connections to \"{name}\": {await SwapCatalog.BlockAsync(conn, name, ct).ConfigureAwait(false)}");
        save();

        // Read again: someone may have connected between the first look and the block.
        sessions = await SwapCatalog.SessionsAsync(conn, renamed, ct).ConfigureAwait(false);
        RefuseUnendable(sessions, renamed);
        var (gone, refused) = await SwapCatalog.TerminateAsync(conn, sessions, ct).ConfigureAwait(false);
        foreach (var s in gone)
        {
            ended.Add(s.ToString());
            step($"ended session {s}");
        }
        if (refused.Count > 0)
            throw new SwapException($"may not end {string.Join("; ", refused)}", SwapFailure.Permission);
        var deadline = DateTime.UtcNow + plan.SessionEndWait;
        while (sessions.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct).ConfigureAwait(false);
            sessions = await SwapCatalog.SessionsAsync(conn, renamed, ct).ConfigureAwait(false);
        }
        if (sessions.Count > 0)
            throw new SwapException($"{Count(sessions)} still connected to {Names(renamed)} {plan.SessionEndWait.TotalSeconds:0} s after being ended: {string.Join("; ", sessions)}",
                SwapFailure.Sessions);
    }

    private static void RefuseUnendable(List<SessionInfo> sessions, List<string> renamed)
    {
        var unendable = sessions.Where(s => !s.CanEnd).ToList();
        if (unendable.Count > 0)
            throw new SwapException($"{Count(unendable)} on {Names(renamed)} that this role may not end (another role's, a superuser's, or a prepared transaction): " +
                                    $"{string.Join("; ", unendable)}. Ask their owner or an administrator to end them", SwapFailure.Unendable);
    }

    private static string Count(List<SessionInfo> s) => Plural.Of(s.Count, "session");

    private static string Names(List<string> names) => string.Join(" and ", names.Select(n => $"\"{n}\""));

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
                        await TestSeam.PauseAsync("between-renames", ct).ConfigureAwait(false);
                }
                await tx.CommitAsync(ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectInUse)
            {
                await tx.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                var sessions = await SwapCatalog.SessionsAsync(conn, renames.Select(r => r.From).ToList(), ct).ConfigureAwait(false);
                throw new SwapException($"{ex.MessageText} ({ex.Detail}){(sessions.Count == 0 ? "" : ": " + string.Join("; ", sessions))}; nothing was renamed",
                    SwapFailure.Sessions, ex);
            }
        }
        step($"committed: {string.Join(", then ", renames)}");
    }

    /// <summary>
    /// Connection settings once the names are where they belong: the database now aside gets back its own, the
    /// one now live its own or, when carrying, those the live database had.
    /// </summary>
    private static async Task<List<string>> RestoreConnectionsAsync(NpgsqlConnection conn, SwapRecord record, bool carried, CancellationToken ct)
    {
        var changes = new List<string>();
        var outgoing = record.Outgoing;
        if (outgoing is not null && await SwapCatalog.SetConnectionsAsync(conn, outgoing.Oid, outgoing.AllowConnections, outgoing.ConnectionLimit, ct).ConfigureAwait(false) is { } o)
            changes.Add(o);
        var (allow, limit) = carried && record.Carry && outgoing is not null
            ? (outgoing.AllowConnections, outgoing.ConnectionLimit)
            : (record.Incoming.AllowConnections, record.Incoming.ConnectionLimit);
        if (await SwapCatalog.SetConnectionsAsync(conn, record.Incoming.Oid, allow, limit, ct).ConfigureAwait(false) is { } i)
            changes.Add(i);
        return changes;
    }

    /// <summary>
    /// After a refusal or failure before the renames committed: both databases get their own connection settings
    /// back. When the catalog is where the operation started, the operation is over (abandoned); otherwise (an
    /// earlier run's state) it stays pending, for a rerun or an undo to finish.
    /// </summary>
    private static async Task PutBackAsync(SwapPlan plan, SwapRecord record, SwapJournal journal, Action<string> step, Action save, Exception failure,
        Action<string>? log)
    {
        try
        {
            await using var conn = await SwapCatalog.OpenAsync(plan.Connection, CancellationToken.None).ConfigureAwait(false);
            foreach (var change in await RestoreConnectionsAsync(conn, record, carried: false, CancellationToken.None).ConfigureAwait(false))
                step($"connection settings restored: {change}");
            var (incoming, outgoing) = await CurrentAsync(conn, record, CancellationToken.None).ConfigureAwait(false);
            bool atStart = record.Outgoing is not null && incoming.Name == record.Incoming.Name && outgoing?.Name == plan.Database;
            if (atStart)
            {
                record.Step = SwapStep.Abandoned;
                step($"stopped, nothing renamed: {failure.Message}");
                journal.Pending = null;
            }
            else
                step($"stopped: {failure.Message}; run again (or undo) to finish");
            save();
        }
        catch (Exception ex) when (ex is NpgsqlException or PgConnectionException or SwapException or IOException or TimeoutException)
        {
            log?.Invoke($"could not restore the connection settings after the failure ({ex.Message}); run the swap again, or undo it, to finish");
        }
    }
}
