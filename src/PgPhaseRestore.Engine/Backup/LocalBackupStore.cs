using System.Diagnostics;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>
/// A backup written to a local file or folder: pg_dump writes a partial named after its run, which is hashed and
/// then moved to its name, so a killed run leaves only a partial that a later run recognises and removes.
/// </summary>
internal sealed class LocalBackupStore(string location, bool force, Action<string>? log) : IBackupStore
{
    public Amazon.S3.IAmazonS3? Client => null;

    public Task<ILockStore> PrepareAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(location)!);
        return Task.FromResult<ILockStore>(new LocalLockStore(location + BackupNaming.LockSuffix));
    }

    /// <summary>Removes the partial files of runs that are gone: killed on this host (their pid no longer runs), or the abandoned holder this run took the lock from.</summary>
    public Task CleanUpAsync(BackupLockHolder? takenOver, CancellationToken ct)
    {
        foreach (var (path, host, pid) in RunIdentity.Partials(location).ToList())
        {
            bool gone = (RunIdentity.IsThisHost(host) && !RunIdentity.IsAlive(pid, null))
                        || (takenOver is not null && string.Equals(host, takenOver.Host, StringComparison.OrdinalIgnoreCase) && pid == takenOver.Pid);
            if (!gone)
                continue;
            DeletePath(path);
            log?.Invoke($"{location}: removed {Path.GetFileName(path)}, left by an earlier run (pid {pid} on {host}) that is gone");
        }
        return Task.CompletedTask;
    }

    public Task<string?> DescribeExistingAsync(CancellationToken ct) => Task.FromResult(
        File.Exists(location) ? $"a file of {SizeText.Format(new FileInfo(location).Length)}, last modified {File.GetLastWriteTimeUtc(location):u}"
        : Directory.Exists(location) ? "a folder"
        : File.Exists(BackupManifest.ManifestLocationFor(location)) ? "its manifest is there" : null);

    public async Task<StoredArchive> DumpAsync(BackupDump dump, BackupLock held, Func<CancellationToken, Task> beforePublish, CancellationToken ct,
        CancellationToken publishing)
    {
        // Unique per run and named after its writer, so a later run can tell a killed run's leftovers.
        var partial = RunIdentity.PartialPath(location, held.RunId);
        var clock = Stopwatch.StartNew();
        using var polling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var poller = Task.Run(async () =>
        {
            while (!polling.IsCancellationRequested)
            {
                await Task.Delay(1000, polling.Token).ConfigureAwait(false);
                dump.Report(location, LocalPaths.Size(partial), clock, dump.Activity);
            }
        }, CancellationToken.None);
        try
        {
            var run = await dump.RunAsync(partial, ct).ConfigureAwait(false);
            if (run.ExitCode != 0)
                throw dump.Failure($"{location}: ", run, "; nothing was written");
            var (size, sha, files) = await ArchiveDigest.HashAsync(partial, ct).ConfigureAwait(false);
            dump.Report(location, size, clock, "stored");
            await held.VerifyAsync("publishing the backup", ct).ConfigureAwait(false);
            await beforePublish(publishing).ConfigureAwait(false);
            Publish(partial, location, force);
            return new StoredArchive(size, sha, 0, files);
        }
        catch
        {
            DeletePath(partial);
            throw;
        }
        finally
        {
            polling.Cancel();
            try { await poller.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>
    /// Moves the finished dump to its name. Unforced, the move refuses an existing name (a file is linked into
    /// place, which fails if the name exists; a folder is renamed, which fails onto a non-empty folder), so of two
    /// runs that got this far only the first publishes. A forced replacement swaps the old one out first.
    /// </summary>
    private static void Publish(string partial, string location, bool force)
    {
        try
        {
            if (File.Exists(partial))
            {
                File.Move(partial, location, overwrite: force);
                return;
            }
            if (force && Directory.Exists(location))
            {
                var old = location + ".pgphase-old";
                DeletePath(old);
                Directory.Move(location, old);
                Directory.Move(partial, location);
                DeletePath(old);
                return;
            }
            if (force && File.Exists(location))
                File.Delete(location);
            Directory.Move(partial, location);
        }
        catch (IOException ex) when (!force && (File.Exists(location) || Directory.Exists(location)))
        {
            throw new PgPhaseException($"{location}: another backup was published there while this one ran; it was left as it is and this one discarded (force to replace)", PgPhaseErrorCode.AlreadyExists, ex);
        }
    }

    private static void DeletePath(string path)
    {
        if (File.Exists(path))
            File.Delete(path);
        else if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
    }

    public void Dispose()
    {
    }
}
