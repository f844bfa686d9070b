using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Copy;

/// <summary>A backup, then the four-phase restore of exactly that backup into another database.</summary>
/// <param name="Backup">The backup made, as its manifest records it.</param>
/// <param name="Phases">The results of the restore of that backup.</param>
public sealed record CopyResult(BackupManifest Backup, IReadOnlyList<PhaseResult> Phases)
{
    /// <summary>Every phase succeeded or was already done.</summary>
    public bool Succeeded => Phases.All(p => p.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped);
}

/// <summary>Source to storage to target in one call. The backup stays where it was written, complete with its manifest.</summary>
public static class DatabaseCopy
{
    /// <summary>
    /// Backs up <paramref name="backup"/>'s source, plans exactly that backup with <paramref name="plan"/> and restores it into
    /// <paramref name="restore"/>'s target. Both option sets are checked before the backup starts.
    /// </summary>
    public static async Task<CopyResult> RunAsync(BackupOptions backup, PlanOptions plan, RestoreOptions restore,
        IProgress<BackupProgress>? backupProgress, IProgress<RestoreProgress>? restoreProgress, Action<string>? log, Action<string>? debug, CancellationToken ct)
    {
        // A restore option that cannot work is refused now, not after the whole backup has been made.
        backup.Validate();
        restore.Validate();
        var manifest = await new BackupRunner(backup, backupProgress, log, debug).RunAsync(ct).ConfigureAwait(false);
        var phases = await ArchivePlanning.PlanAsync(new ArchiveLocation(manifest.Location, backup.Storage), plan, ct).ConfigureAwait(false);
        var results = await new PhaseRestorer(restore, restoreProgress, log).RunAsync(phases.Phases, ct).ConfigureAwait(false);
        return new CopyResult(manifest, results);
    }
}
