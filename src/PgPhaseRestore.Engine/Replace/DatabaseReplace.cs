using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Swap;
using PgPhaseRestore.Engine.Verification;

namespace PgPhaseRestore.Engine.Replace;

/// <summary>
/// Targeted rollback: restores an archive into a side database beside the live one, verifies it against the
/// archive, and only then swaps it in, keeping the live database under &lt;live&gt;__before_&lt;time&gt;. A failure
/// at any point before the swap leaves the live database untouched and keeps the side database, naming it.
/// </summary>
public static class DatabaseReplace
{
    /// <summary>
    /// Reads the catalog and the journals and says what a replace of the target with these phases would do; changes
    /// nothing.
    /// </summary>
    public static Task<ReplacePlan> PlanAsync(ReplaceOptions options, IReadOnlyList<RestorePhase> phases, CancellationToken ct) =>
        PgPhaseErrors.AtBoundaryAsync(() => PlanCoreAsync(options, phases, ct));

    private static async Task<ReplacePlan> PlanCoreAsync(ReplaceOptions options, IReadOnlyList<RestorePhase> phases, CancellationToken ct)
    {
        var archive = ArchiveOf(phases);
        var target = options.Restore.Target;
        var live = DatabaseNames.Checked(target.Database ?? throw PgPhaseException.NoDatabase(target, "target", ": name the live database to replace"), "live database");
        if (options.Restore.Phases.Count > 0 && !phases.Select(p => p.Number).All(options.Restore.Phases.Contains))
            throw new PgPhaseException("a replace restores every phase into the side database; leave out the phase selection", PgPhaseErrorCode.InvalidInput);
        var journalPath = options.SwapJournalPath ?? SwapJournal.DefaultPath(target, live);
        var journal = SwapJournal.Load(journalPath);
        var fingerprint = ArchiveFingerprint.Compute(archive);
        var server = $"{target.Host ?? "localhost"}:{target.Port}";
        if (journal.Pending is { } pending)
            return new ReplacePlan
            {
                Server = server, Database = live, SideDatabase = pending.Incoming.Name, Archive = archive.Source, JournalPath = journalPath,
                Options = options, Fingerprint = fingerprint, Force = options.Force,
                PendingSwap = $"{pending.Kind.ToString().ToLowerInvariant()} with \"{pending.Incoming.Name}\", stopped at step {pending.Step} (journal {journalPath})",
            };

        await using var conn = await SwapCatalog.OpenAsync(target, ct).ConfigureAwait(false);
        var current = await SwapCatalog.ByNameAsync(conn, live, ct).ConfigureAwait(false)
            ?? throw new PgPhaseException($"\"{live}\" does not exist on {server}: a replace puts a restored database in the place of an existing one",
                "; restore it as a new database instead", PgPhaseErrorCode.NothingToReplace);
        // Renaming rights are checked now, not after a restore of hours; sessions are shown by the plan and refused by the run.
        await SwapCatalog.CheckMayRenameAsync(conn, [current], ct).ConfigureAwait(false);
        var sessions = await SwapCatalog.SessionsAsync(conn, [live], ct).ConfigureAwait(false);
        var (side, resumes) = await SideAsync(conn, options, journal, live, fingerprint, ct).ConfigureAwait(false);
        // The name the live database moves to is checked now too: a name the server would cut must not end a restore of hours at the swap.
        if (options.AsideName is { } asideName)
        {
            if (asideName == live || asideName == side)
                throw new PgPhaseException($"the aside name cannot be \"{asideName}\", which the replace already uses", PgPhaseErrorCode.InvalidInput);
            DatabaseNames.Checked(asideName, "aside");
            if (await SwapCatalog.ByNameAsync(conn, asideName, ct).ConfigureAwait(false) is not null)
                throw new PgPhaseException($"a database named \"{asideName}\" already exists on {server}; choose another name to move \"{live}\" to", PgPhaseErrorCode.SwapState);
        }
        else
            DatabaseNames.Before(live, DateTimeOffset.UtcNow);
        return new ReplacePlan
        {
            Server = server, Database = live, SideDatabase = side, Archive = archive.Source, JournalPath = journalPath, ResumesSide = resumes,
            Sessions = sessions, Force = options.Force, Options = options, Fingerprint = fingerprint,
        };
    }

    /// <summary>The side database: the one named, the one an interrupted run of the same archive left, or a new name.</summary>
    private static async Task<(string Name, bool Resumes)> SideAsync(Npgsql.NpgsqlConnection conn, ReplaceOptions options, SwapJournal journal, string live,
        string fingerprint, CancellationToken ct)
    {
        var earlier = journal.Replace is { } r && r.Fingerprint == fingerprint && r.Stage is ReplaceStage.Restoring or ReplaceStage.RestoreFailed or ReplaceStage.Verified
            ? r.SideDatabase : null;
        if (options.SideDatabase is { } named)
        {
            if (named == live)
                throw new PgPhaseException($"the side database cannot be \"{live}\" itself", PgPhaseErrorCode.InvalidInput);
            return (DatabaseNames.Checked(named, "side database"), named == earlier);
        }
        if (earlier is not null && await SwapCatalog.ByNameAsync(conn, earlier, ct).ConfigureAwait(false) is not null)
            return (earlier, true);
        var name = DatabaseNames.Side(live, DateTimeOffset.UtcNow);
        var candidate = name;
        for (int n = 2; await SwapCatalog.ByNameAsync(conn, candidate, ct).ConfigureAwait(false) is not null; n++)
            candidate = DatabaseNames.Checked($"{name}_{n}", "side database");
        return (candidate, false);
    }

    /// <summary>
    /// An unfinished swap comes first: until it is finished the live name may be blocked, or (had only one rename
    /// committed) missing. When it was this very replace's, the replace is done.
    /// </summary>
    private static async Task<ReplaceResult> FinishPendingAsync(ReplacePlan plan, SwapRecord pending, DumpArchive archive, Action<string>? log, CancellationToken ct)
    {
        var live = plan.Database;
        log?.Invoke($"an interrupted swap of \"{live}\" is pending ({plan.PendingSwap}): finishing it first");
        var finished = await DatabaseSwap.RunAsync(new SwapOptions { Server = plan.Options.Restore.Target, Database = live, Force = plan.Options.Force, JournalPath = plan.JournalPath }, log, ct)
            .ConfigureAwait(false);
        if (pending.Origin != plan.Fingerprint)
            throw new PgPhaseException($"an interrupted swap of \"{live}\" was finished first: {finished}. Run the replace again to put {archive.Source} in its place",
                PgPhaseErrorCode.SwapState);
        SetStage(SwapJournal.Load(plan.JournalPath), archive, plan.Fingerprint, finished.ReplacementName, ReplaceStage.Replaced);
        return new ReplaceResult
        {
            Database = live, SideDatabase = finished.ReplacementName, Status = ReplaceStatus.Replaced, PreviousDatabase = finished.PreviousDatabase, Swap = finished,
            Message = $"the interrupted replace of \"{live}\" from {archive.Source} was finished: {finished}",
        };
    }

    /// <summary>Sessions that would refuse the swap refuse the replace before anything is restored.</summary>
    private static void CheckSessions(ReplacePlan plan)
    {
        var live = plan.Database;
        if (plan.Sessions.Count > 0 && !plan.Options.Force)
            throw new PgPhaseException($"{Count(plan.Sessions)} connected to \"{live}\", which PostgreSQL does not rename while anyone is connected: {string.Join("; ", plan.Sessions)}; " +
                                    "nothing was restored", ". End them, or force the replace to block new connections and end them at the swap", PgPhaseErrorCode.SwapSessions);
        var unendable = plan.Sessions.Where(s => !s.CanEnd).ToList();
        if (unendable.Count > 0)
            throw new PgPhaseException($"{Count(unendable)} on \"{live}\" that this role may not end (another role's, a superuser's, or a prepared transaction): " +
                                    $"{string.Join("; ", unendable)}. Ask their owner or an administrator to end them; nothing was restored", PgPhaseErrorCode.SwapSessionsUnendable);
    }

    /// <summary>The verified side database takes the live name; a failed swap says where the verified copy is kept.</summary>
    private static async Task<SwapResult> SwapInAsync(ReplacePlan plan, Action<string>? log, CancellationToken ct)
    {
        try
        {
            var swapPlan = await DatabaseSwap.PlanAsync(new SwapOptions
            {
                Server = plan.Options.Restore.Target, Database = plan.Database, Replacement = plan.SideDatabase, Force = plan.Options.Force,
                JournalPath = plan.JournalPath, Origin = plan.Fingerprint, AsideName = plan.Options.AsideName,
            }, ct).ConfigureAwait(false);
            return await DatabaseSwap.RunAsync(swapPlan, log, ct).ConfigureAwait(false);
        }
        catch (PgPhaseException ex) when (PgPhaseErrors.IsSwap(ex.Code))
        {
            // The swap's own advice, when split off, stays last: a host that words it with its parameters still can.
            var kept = $". The restored and verified database is kept as \"{plan.SideDatabase}\": run the replace again (it swaps that one in) " +
                       "or swap it in yourself (pgphase swap / Switch-PgDatabase)";
            throw ex.Fact is { } fact
                ? new PgPhaseException(fact + kept, ex.Message[fact.Length..], ex.Code, ex)
                : new PgPhaseException($"{ex.Message}{kept}", ex.Code, ex);
        }
    }

    /// <summary>Restores into the side database, verifies it against the archive and, only when it matches, swaps it in.</summary>
    public static Task<ReplaceResult> RunAsync(ReplacePlan plan, IReadOnlyList<RestorePhase> phases, IProgress<RestoreProgress>? progress,
        Action<string>? log, Action<string>? debug, CancellationToken ct) =>
        PgPhaseErrors.AtBoundaryAsync(() => RunCoreAsync(plan, phases, progress, log, debug, ct));

    private static async Task<ReplaceResult> RunCoreAsync(ReplacePlan plan, IReadOnlyList<RestorePhase> phases, IProgress<RestoreProgress>? progress,
        Action<string>? log, Action<string>? debug, CancellationToken ct)
    {
        var options = plan.Options;
        var target = options.Restore.Target;
        var live = plan.Database;
        var archive = ArchiveOf(phases);
        var journal = SwapJournal.Load(plan.JournalPath);
        if (journal.Pending is { } pending)
            return await FinishPendingAsync(plan, pending, archive, log, ct).ConfigureAwait(false);
        CheckSessions(plan);

        var side = plan.SideDatabase;
        var sideTarget = target.WithDatabase(side);
        SetStage(journal, archive, plan.Fingerprint, side, ReplaceStage.Restoring);
        log?.Invoke(plan.ResumesSide
            ? $"continuing the restore of {archive.Source} into \"{side}\"; \"{live}\" is not touched until it is verified"
            : $"restoring {archive.Source} into \"{side}\"; \"{live}\" is not touched until it is verified");
        // Every option of the caller reaches the side restore, aimed at the side database, which it may create.
        var restore = options.Restore with { Target = sideTarget, CreateDatabase = true, Resume = plan.ResumesSide || options.Restore.Resume };
        var results = await new PhaseRestorer(restore, progress, log, debug).RunAsync(phases, ct).ConfigureAwait(false);
        var failed = results.FirstOrDefault(r => r.Status is not (PhaseStatus.Succeeded or PhaseStatus.Skipped));
        if (failed is not null)
        {
            SetStage(journal, archive, plan.Fingerprint, side, ReplaceStage.RestoreFailed);
            return new ReplaceResult
            {
                Database = live, SideDatabase = side, Status = ReplaceStatus.RestoreFailed, Phases = results,
                Message = $"the restore into \"{side}\" failed at phase {failed.Phase} {failed.Name} ({failed.Errors.FirstOrDefault()?.ToString() ?? failed.Status.ToString()}); " +
                          $"\"{live}\" was not touched. \"{side}\" is kept: run the replace again to continue it, or drop it",
            };
        }

        await PausePoint.ReachedAsync("before-verify", ct).ConfigureAwait(false);
        log?.Invoke($"verifying \"{side}\" against {archive.Source}");
        var verification = await VerifyAsync(archive, phases, sideTarget, options, ct).ConfigureAwait(false);
        foreach (var note in verification.Notes)
            log?.Invoke("verification note: " + note);
        if (!verification.IsMatch)
        {
            SetStage(journal, archive, plan.Fingerprint, side, ReplaceStage.VerificationFailed);
            var shown = string.Join("; ", verification.Differences.Take(5)) + (verification.Differences.Count > 5 ? "; ..." : "");
            return new ReplaceResult
            {
                Database = live, SideDatabase = side, Status = ReplaceStatus.VerificationFailed, Phases = results, Verification = verification,
                Message = $"verification of \"{side}\" against {archive.Source} failed with {Plural.Of(verification.Differences.Count, "difference")} " +
                          $"({shown}); \"{live}\" was not touched; the restored database is kept as \"{side}\"",
            };
        }
        log?.Invoke($"verified: {verification}");
        SetStage(journal, archive, plan.Fingerprint, side, ReplaceStage.Verified);

        var swap = await SwapInAsync(plan, log, ct).ConfigureAwait(false);
        journal = SwapJournal.Load(plan.JournalPath);
        SetStage(journal, archive, plan.Fingerprint, side, ReplaceStage.Replaced);
        return new ReplaceResult
        {
            Database = live, SideDatabase = side, Status = ReplaceStatus.Replaced, PreviousDatabase = swap.PreviousDatabase,
            Phases = results, Verification = verification, Swap = swap,
            Message = $"\"{live}\" now holds {archive.Source} (restored as \"{side}\" and verified); the previous \"{live}\" is \"{swap.PreviousDatabase}\"",
        };
    }

    /// <summary>
    /// The archive's own checks (every index, constraint, trigger and policy present and valid, views populated)
    /// on the entries the plan restored, and each table's row count against the archive.
    /// </summary>
    private static async Task<VerificationResult> VerifyAsync(DumpArchive archive, IReadOnlyList<RestorePhase> phases, Connections.PgConnectionInfo side,
        ReplaceOptions options, CancellationToken ct)
    {
        var restored = new DumpArchive(archive.Source, archive.Header, phases.SelectMany(p => p.Entries).ToList(), archive.TocEndOffset);
        var objects = await RestoreVerifier.VerifyAsync(restored, side, null, RowCountMode.None, ct).ConfigureAwait(false);
        if (options.SkipRowCounts)
            return objects;
        var tables = phases.Where(p => p.Kind == PhaseKind.Data).SelectMany(p => p.Entries).Where(e => e.Type == "TABLE DATA" && e.Name is not null).ToList();
        var rows = await ArchiveRowCounts.CompareAsync(archive, tables, side, options.Restore.PgRestorePath, options.Restore.Storage, ct).ConfigureAwait(false);
        return new VerificationResult
        {
            Target = objects.Target,
            Source = archive.Source,
            ObjectsChecked = objects.ObjectsChecked,
            TablesCounted = rows.Counted,
            RowCounts = RowCountMode.Exact,
            Differences = [.. objects.Differences, .. rows.Differences],
            Notes = [.. objects.Notes, .. rows.Notes],
        };
    }

    private static void SetStage(SwapJournal journal, DumpArchive archive, string fingerprint, string side, ReplaceStage stage)
    {
        journal.Replace = new ReplaceRecord { Archive = archive.Source, Fingerprint = fingerprint, SideDatabase = side, Stage = stage, UpdatedAt = DateTimeOffset.UtcNow };
        journal.Save();
    }

    private static DumpArchive ArchiveOf(IReadOnlyList<RestorePhase> phases)
    {
        if (phases.Count == 0)
            throw new PgPhaseException("no phases to run", PgPhaseErrorCode.InvalidInput);
        var archive = phases[0].Archive;
        if (phases.Any(p => p.Archive.Source != archive.Source))
            throw new PgPhaseException("the phases come from different archives; replace from one archive at a time", PgPhaseErrorCode.InvalidInput);
        return archive;
    }

    private static string Count(IReadOnlyCollection<SessionInfo> s) => Plural.Of(s.Count, "session");
}
