using Npgsql;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>
/// Plans a swap, an undo or the rollback of an interrupted swap from the catalog and the journal: which database
/// takes the live name, where the other goes, the renames still needed, the sessions in the way and the settings
/// to carry. Changes nothing.
/// </summary>
internal static class SwapPlanner
{
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

        var (incoming, outgoing) = await SwapConvergence.CurrentAsync(conn, record, ct).ConfigureAwait(false);
        var renames = await SwapConvergence.ConvergeAsync(conn, record, incoming, outgoing, ct).ConfigureAwait(false);
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
        var name = options.Replacement ?? throw new PgPhaseException($"name the database that is to take the name \"{live}\"", PgPhaseErrorCode.InvalidInput);
        if (name == live)
            throw new PgPhaseException($"\"{live}\" cannot be swapped with itself", PgPhaseErrorCode.InvalidInput);
        var incoming = await SwapCatalog.ByNameAsync(conn, name, ct).ConfigureAwait(false)
            ?? throw new PgPhaseException($"the replacement database \"{name}\" does not exist", PgPhaseErrorCode.SwapDatabaseMissing);
        // A swap trades names with a database that is there: a mistyped live name would otherwise rename the
        // replacement for good, with nothing put aside and so nothing an undo could bring back.
        var outgoing = await SwapCatalog.ByNameAsync(conn, live, ct).ConfigureAwait(false)
            ?? throw new PgPhaseException($"no database is named \"{live}\": a swap gives \"{name}\" the name of a database that exists and puts that one aside; " +
                                          $"check the live database's name (to only rename \"{name}\", use ALTER DATABASE ... RENAME TO)", PgPhaseErrorCode.SwapDatabaseMissing);
        RefuseTemplate(incoming);
        RefuseTemplate(outgoing);
        var aside = await AsideNameAsync(conn, options.AsideName, () => DatabaseNames.Before(live, DateTimeOffset.UtcNow), ct).ConfigureAwait(false);
        return new SwapRecord
        {
            Kind = SwapKind.Swap,
            Outgoing = Side(outgoing, aside, notes),
            Incoming = Side(incoming, live, notes),
            Carry = options.CarrySettings,
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
                ?? throw new PgPhaseException($"the database to bring back, \"{named}\", does not exist", PgPhaseErrorCode.SwapDatabaseMissing);
        else if (last?.Outgoing is { } aside)
        {
            back = await SwapCatalog.ByOidAsync(conn, aside.Oid, ct).ConfigureAwait(false)
                ?? throw new PgPhaseException($"the database the last {last.Kind.ToString().ToLowerInvariant()} of \"{live}\" put aside (\"{aside.Target}\", OID {aside.Oid}) no longer exists", PgPhaseErrorCode.SwapDatabaseMissing);
            if (current is not null && current.Oid != last.Incoming.Oid)
                notes.Add($"\"{live}\" (OID {current.Oid}) is not the database the last {last.Kind.ToString().ToLowerInvariant()} put in place (OID {last.Incoming.Oid}); it is moved aside all the same");
        }
        else
        {
            var candidates = await SwapCatalog.StartingWithAsync(conn, DatabaseNames.BeforePrefix(live), ct).ConfigureAwait(false);
            back = candidates.Count switch
            {
                1 => candidates[0],
                0 => throw new PgPhaseException($"nothing to undo: no journal of an earlier swap of \"{live}\" ({journal.Path}) and no database named {DatabaseNames.BeforePrefix(live)}*", PgPhaseErrorCode.SwapDatabaseMissing),
                _ => throw new PgPhaseException($"no journal of an earlier swap of \"{live}\" ({journal.Path}) and several databases it could have put aside " +
                                            $"({string.Join(", ", candidates.Select(c => $"\"{c.Name}\""))}): name the one to bring back", PgPhaseErrorCode.SwapState),
            };
        }
        if (back.Name == live)
            throw new PgPhaseException($"\"{live}\" already is the database to bring back: nothing to undo", PgPhaseErrorCode.SwapState);
        RefuseTemplate(back);
        string? asideName = null;
        if (current is not null)
        {
            RefuseTemplate(current);
            // The database going aside gets back the name it had before the swap, when that is known and free.
            var former = last is not null && last.Incoming.Oid == current.Oid && last.Incoming.Name != live ? last.Incoming.Name : null;
            asideName = options.AsideName
                ?? (former is not null && await SwapCatalog.ByNameAsync(conn, former, ct).ConfigureAwait(false) is null ? former : null)
                ?? await AsideNameAsync(conn, null, () => DatabaseNames.Undone(live, DateTimeOffset.UtcNow), ct).ConfigureAwait(false);
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
            throw new PgPhaseException($"\"{db.Name}\" is a template database; templates are not swapped", PgPhaseErrorCode.SwapState);
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

    /// <summary>
    /// An explicit aside name must be free; a generated one gets _2, _3... when a swap in the same second took it. It is
    /// made only when no name is given, so a live name too long for it can still be put aside under a name given.
    /// </summary>
    private static async Task<string> AsideNameAsync(NpgsqlConnection conn, string? requested, Func<string> generate, CancellationToken ct)
    {
        if (requested is not null)
        {
            DatabaseNames.Checked(requested, "aside");
            if (await SwapCatalog.ByNameAsync(conn, requested, ct).ConfigureAwait(false) is not null)
                throw new PgPhaseException($"a database named \"{requested}\" already exists; choose another name to move the live database to", PgPhaseErrorCode.SwapState);
            return requested;
        }
        var generated = generate();
        var name = generated;
        for (int n = 2; await SwapCatalog.ByNameAsync(conn, name, ct).ConfigureAwait(false) is not null; n++)
            name = DatabaseNames.Checked($"{generated}_{n}", "aside");
        return name;
    }
}
