using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Squares the journal with what was asked before any phase runs: a resume continues the same archive only;
/// a fresh run refuses to repeat finished or interrupted work unless forced, and starts from an empty target.
/// </summary>
internal static class JournalPreparation
{
    /// <summary>
    /// Squares the journal with the run; <paramref name="phases"/> is the whole plan the run was given, of which
    /// <paramref name="selected"/> run, and every index it places must be where the restore it continues put it.
    /// </summary>
    public static async Task PrepareAsync(RestoreJournal journal, DumpArchive archive, IReadOnlyList<RestorePhase> phases, IReadOnlyList<RestorePhase> selected,
        RestoreOptions options, NpgsqlConnection conn, CancellationToken ct)
    {
        // Checked before the journal changes (a refused run leaves it as it was), recorded once it has.
        var fingerprint = ArchiveFingerprint.Compute(archive);
        bool continues = journal.Fingerprint.Length > 0 && journal.Fingerprint == fingerprint
                         && (options.Resume || !selected.Any(p => p.Kind == PhaseKind.Schema));
        if (continues)
            IndexPlacement.Check(journal, phases, options.Target.Database!);
        await PrepareCoreAsync(journal, archive, fingerprint, selected, options, conn, ct).ConfigureAwait(false);
        IndexPlacement.Record(journal, phases);
    }

    private static async Task PrepareCoreAsync(RestoreJournal journal, DumpArchive archive, string fingerprint, IReadOnlyList<RestorePhase> selected,
        RestoreOptions options, NpgsqlConnection conn, CancellationToken ct)
    {
        var database = options.Target.Database;
        if (options.Resume)
        {
            if (journal.Fingerprint.Length > 0 && journal.Fingerprint != fingerprint)
                throw new PgPhaseException($"the journal {journal.Path} belongs to a restore of another archive ({journal.Archive}) into \"{database}\"",
                    "; resume with that archive, or start over without resuming", PgPhaseErrorCode.OtherArchive);
            if (journal.Fingerprint.Length == 0)
                journal.Reset(archive.Source, fingerprint, options.Target.ToString());
            return;
        }

        bool sameRestore = journal.Fingerprint == fingerprint;
        // Running an interrupted data phase again from the top would load its finished tables twice.
        var interrupted = selected.Where(p => sameRestore && journal.IsInterrupted(p.Number) && p.Kind == PhaseKind.Data).Select(p => p.Number).ToList();
        if (interrupted.Count > 0 && !options.Force)
            throw new PgPhaseException($"phase {string.Join(", ", interrupted)} was interrupted on \"{database}\" (journal {journal.Path})", "; resume it so that no row is loaded twice",
                PgPhaseErrorCode.Interrupted);

        var alreadyDone = selected.Where(p => sameRestore && journal.CompletedPhases.Contains(p.Number)).Select(p => p.Number).ToList();
        // Everything selected is done, phase 1 among it: nothing to resume, and forced, phase 1 would meet its own schema.
        if (alreadyDone.Count == selected.Count && selected.Any(p => p.Kind == PhaseKind.Schema) && !options.Force)
            throw new PgPhaseException($"the restore of this archive into \"{database}\" completed already (phase {string.Join(", ", alreadyDone)}; journal {journal.Path}): " +
                                       "nothing is left to resume, and phase 1 would create its schema over itself", "; restore into a new database, or drop this one first",
                PgPhaseErrorCode.RestoreComplete);
        if (alreadyDone.Count > 0 && !options.Force)
            throw new PgPhaseException($"phase {string.Join(", ", alreadyDone)} already completed on \"{database}\" from this archive (journal {journal.Path})",
                "; resume to continue, or force to run it again", PgPhaseErrorCode.AlreadyRestored);
        bool startsFresh = selected.Any(p => p.Kind == PhaseKind.Schema);
        if (startsFresh && !options.AllowNonEmptyTarget)
        {
            var contents = await TargetDatabase.DescribeContentsAsync(conn, ct).ConfigureAwait(false);
            if (contents is not null)
                throw new PgPhaseException($"target database \"{database}\" is not empty ({contents})", "; restore into an empty database, or allow a non-empty target explicitly",
                    PgPhaseErrorCode.TargetNotEmpty);
        }
        if (startsFresh || !sameRestore)
            journal.Reset(archive.Source, fingerprint, options.Target.ToString());
        else if (options.Force)
            foreach (var p in selected)
                journal.ForgetPhase(p.Number, p.Kind == PhaseKind.Data ? p.Entries.Select(e => e.DumpId) : null);
    }
}
