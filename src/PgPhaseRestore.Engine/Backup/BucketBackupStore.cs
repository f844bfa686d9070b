using System.Diagnostics;
using Amazon.S3;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>
/// A backup streamed into a bucket: pg_dump's output goes straight into a multipart upload, watched on its way for
/// the map of its data blocks, and the upload completes (only if no object appeared meanwhile, unless forced) once the
/// lock is still this run's. A failed run aborts its upload, so no object is written.
/// </summary>
internal sealed class BucketBackupStore(BackupOptions options, string location, Action<string>? log) : IBackupStore
{
    private readonly IAmazonS3 _client = S3ClientFactory.Create(options.Storage, location);

    public IAmazonS3? Client => _client;

    public async Task<ILockStore> PrepareAsync(CancellationToken ct)
    {
        var target = S3ObjectLocation.Parse(location);
        if (!options.SkipChecks)
            await BucketProbe.CheckReachableAsync(_client, target, ct).ConfigureAwait(false);
        return new S3LockStore(_client, target with { Key = target.Key + BackupNaming.LockSuffix }, log);
    }

    /// <summary>Aborts the multipart uploads earlier runs left unfinished at this key.</summary>
    public async Task CleanUpAsync(BackupLockHolder? takenOver, CancellationToken ct)
    {
        foreach (var line in await S3MultipartUpload.AbortEarlierUploadsAsync(_client, S3ObjectLocation.Parse(location), ct).ConfigureAwait(false))
            log?.Invoke(line);
    }

    public async Task<string?> DescribeExistingAsync(CancellationToken ct) =>
        await BucketProbe.DescribeIfExistsAsync(_client, S3ObjectLocation.Parse(location), ct).ConfigureAwait(false)
        ?? await BucketProbe.DescribeIfExistsAsync(_client, S3ObjectLocation.Parse(BackupManifest.ManifestLocationFor(location)), ct).ConfigureAwait(false);

    public async Task<StoredArchive> DumpAsync(BackupDump dump, BackupLock held, Func<CancellationToken, Task> beforePublish, CancellationToken ct,
        CancellationToken publishing)
    {
        var target = S3ObjectLocation.Parse(location);
        // Metadata travels as HTTP headers, which hold ASCII only: the database's name is percent-encoded (UTF-8).
        var upload = await S3MultipartUpload.StartAsync(_client, target, options.Multipart, options.Storage.UseGenericProtocol,
            new Dictionary<string, string> { ["pgphase-database"] = Uri.EscapeDataString(options.Source.Database!) }, ct).ConfigureAwait(false);
        dump.Debug($"multipart upload {upload.UploadId} started for {target}");
        var clock = Stopwatch.StartNew();
        var partProgress = new CallbackProgress<UploadProgress>(p => dump.Report(target.ToString(), p.Bytes, clock, $"{Plural.Of(p.PartsDone, "part")} stored, part size {SizeText.Format(p.CurrentPartSize)}; {dump.Activity}"));
        bool completed = false;
        try
        {
            // Watched on its way to the bucket: the map of its data blocks lets a restore fetch tables one by one.
            var scanner = new ArchiveBlockScanner();
            var run = await dump.RunAsync(null, ct,
                readStdout: (stdout, token) => upload.UploadFromAsync(new ObservedReadStream(stdout, scanner.Append), partProgress, token)).ConfigureAwait(false);
            if (run.ExitCode != 0)
                throw dump.Failure("", run);
            await held.VerifyAsync("completing the upload", ct).ConfigureAwait(false);
            // For writers that take no lock (another tool, an older version) on servers that ignore If-None-Match.
            if (!options.Force && await BucketProbe.DescribeIfExistsAsync(_client, target, ct).ConfigureAwait(false) is { } appeared)
                throw new PgPhaseException($"{target}: an object ({appeared}) was written at this key while this backup ran, by a writer that takes no backup lock; it was left as it is", PgPhaseErrorCode.AlreadyExists);
            await beforePublish(publishing).ConfigureAwait(false);
            await upload.CompleteAsync(onlyIfAbsent: !options.Force, log, publishing).ConfigureAwait(false);
            completed = true;
            dump.Debug($"upload {upload.UploadId} completed: {Plural.Of(upload.PartCount, "part")}, {Plural.Of(upload.Size, "byte")} verified by the server's size");
            return new StoredArchive(upload.Size, upload.Sha256!, upload.PartCount, [], scanner.Finish() ?? ManifestBuilder.NoBlocks(dump, scanner.Problem));
        }
        catch (Exception ex) when (!completed)
        {
            var problem = await upload.AbortAsync().ConfigureAwait(false);
            var outcome = problem ?? $"upload {upload.UploadId} aborted, no object was written";
            log?.Invoke($"backup of {options.Source.Database} to {target} failed: {outcome}");
            if (ex is OperationCanceledException)
                throw;
            var text = Message(ex);
            throw PgPhaseException.Wrap($"{(text.StartsWith(target.ToString(), StringComparison.Ordinal) ? text : $"{target}: {text}")}; {outcome}", ex, PgPhaseErrorCode.BackupFailed);
        }
    }

    private static string Message(Exception ex) => ex.Message.Split('\n', 2)[0].Trim();

    public void Dispose() => _client.Dispose();
}
