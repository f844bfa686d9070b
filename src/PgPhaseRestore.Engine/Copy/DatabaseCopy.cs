using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Copy;

/// <summary>Source to storage to target in one call. The backup stays where it was written, complete with its manifest.</summary>
public static class DatabaseCopy
{
    /// <summary>
    /// Backs the source up and restores that backup. What is copied is chosen once, by the schema and table selection
    /// of <paramref name="plan"/>: the restore applies it, and the dump leaves out only the rows and large objects it
    /// does not copy (<see cref="CopyDump"/>). <paramref name="backup"/> therefore carries no pg_dump selection of its own.
    /// </summary>
    public static Task<CopyResult> RunAsync(BackupOptions backup, PlanOptions plan, RestoreOptions restore,
        IProgress<BackupProgress>? backupProgress, IProgress<RestoreProgress>? restoreProgress, Action<string>? log, Action<string>? debug, CancellationToken ct) =>
        PgPhaseErrors.AtBoundaryAsync(() => RunCoreAsync(backup, plan, restore, backupProgress, restoreProgress, log, debug, ct));

    private static async Task<CopyResult> RunCoreAsync(BackupOptions backup, PlanOptions plan, RestoreOptions restore,
        IProgress<BackupProgress>? backupProgress, IProgress<RestoreProgress>? restoreProgress, Action<string>? log, Action<string>? debug, CancellationToken ct)
    {
        // A restore option that cannot work is refused now, not after the whole backup has been made.
        backup.Validate();
        restore.Validate();
        if (backup.Schemas.Count + backup.ExcludeSchemas.Count + backup.Tables.Count + backup.ExcludeTables.Count > 0)
            throw new PgPhaseException("a copy selects schemas and tables once, for the dump and the restore alike: give them as the plan's selection, not as pg_dump's", PgPhaseErrorCode.InvalidInput);
        // The target is reached before the backup, not after it: a wrong port, password or database name is refused now.
        if (!backup.SkipChecks && await TargetDatabase.CheckAsync(restore.Target, restore.CreateDatabase, ct).ConfigureAwait(false))
        {
            await SourceAsTarget.RefuseAsync(backup.Source, restore.Target, ct).ConfigureAwait(false);
            // The restore would refuse a target that holds something, but only after the whole backup.
            if (!restore.AllowNonEmptyTarget && !restore.Resume)
                await RefuseNonEmptyAsync(restore.Target, ct).ConfigureAwait(false);
        }
        var manifest = await new BackupRunner(backup, backupProgress, log, debug) { CopySelection = plan }.RunAsync(ct).ConfigureAwait(false);
        // Auto's default budget is the target's maintenance_work_mem, as for a restore.
        var phases = await ArchivePlanning.PlanAsync(backup.At(manifest.Location), plan with { SizeWhileLoading = true }, ct, restore.Target, log: log).ConfigureAwait(false);
        var results = await new PhaseRestorer(restore, restoreProgress, log).RunAsync(phases.Phases, ct).ConfigureAwait(false);
        return new CopyResult(manifest, results);
    }

    private static async Task RefuseNonEmptyAsync(PgConnectionInfo target, CancellationToken ct)
    {
        await using var conn = await target.OpenAsync("pgphase copy", ct).ConfigureAwait(false);
        if (await TargetDatabase.DescribeContentsAsync(conn, ct).ConfigureAwait(false) is { } contents)
            throw new PgPhaseException($"target database \"{target.Database}\" is not empty ({contents}); a copy restores into a new or empty database: " +
                                       "name one that does not exist yet (and let the copy create it), or empty this one; nothing was backed up", PgPhaseErrorCode.TargetNotEmpty);
    }
}
