using System.Diagnostics;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Processes;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Verification;

namespace PgPhaseRestore.Demo;

/// <summary>
/// A first run that needs nothing but the PostgreSQL server binaries: a throwaway cluster, a sample database whose
/// indexes outweigh its tables, a backup to a local file (and through a local s3rver into a bucket when node and the
/// launcher are there), four-phase restores beside a plain pg_restore of the same dump, and exact verification.
/// Everything it starts or writes is removed at the end, also when cancelled.
/// </summary>
public sealed class DemoRunner
{
    /// <summary>Start of the names of the demo's temp folders (its work folder and its cluster's).</summary>
    internal const string TempPrefix = "pgphase-demo-";
    private const string ClusterPrefix = TempPrefix + "pg-";
    private const string SourceDatabase = "demo_source";
    private const string Bucket = "pgphase-demo";

    private readonly DemoOptions _options;
    private readonly IProgress<RestoreProgress>? _progress;
    private readonly Action<string>? _log;
    private readonly Action<string>? _debug;

    /// <summary>A demo with these options.</summary>
    /// <param name="options">What to build and compare.</param>
    /// <param name="progress">The four-phase restores' progress.</param>
    /// <param name="log">One line per step.</param>
    /// <param name="debug">The tools' own output.</param>
    public DemoRunner(DemoOptions options, IProgress<RestoreProgress>? progress = null, Action<string>? log = null, Action<string>? debug = null)
    {
        if (options.Rows < 1)
            throw new DemoException($"rows: {options.Rows} is not a positive number");
        _options = options;
        _progress = progress;
        _log = log;
        _debug = debug;
    }

    /// <summary>
    /// Builds the throwaway cluster and sample, backs it up, restores it every way, verifies each, and removes
    /// everything again.
    /// </summary>
    public async Task<DemoReport> RunAsync(CancellationToken ct)
    {
        // Named after this process, so a later run removes the folder of a demo that was killed outright.
        var work = ProcessScopedTemp.CreateDirectory(TempPrefix);
        ThrowawayCluster? cluster = null;
        S3rverProcess? s3 = null;
        try
        {
            _log?.Invoke($"work folder {work}");
            foreach (var orphan in await ThrowawayCluster.RemoveOrphansAsync(ClusterPrefix, null, ct).ConfigureAwait(false))
                _log?.Invoke($"stopped and removed {orphan}, the cluster of a demo that was killed");
            _log?.Invoke("starting a throwaway PostgreSQL cluster (initdb, pg_ctl)...");
            cluster = await ThrowawayCluster.StartAsync(
                new ThrowawayClusterOptions { TempPrefix = $"{ClusterPrefix}{Environment.ProcessId}-" }, ct).ConfigureAwait(false);
            _log?.Invoke($"cluster on {ThrowawayCluster.Host}:{cluster.Port}{(cluster.OsUser is null ? "" : $" as OS user {cluster.OsUser}")}, data directory {cluster.DataDirectory}");

            var source = cluster.Connection(SourceDatabase);
            _log?.Invoke($"creating {SourceDatabase} with {_options.Rows:N0} orders and six indexes...");
            await SampleDatabase.CreateAsync(source, SourceDatabase, _options.Rows, ct).ConfigureAwait(false);
            var (tableBytes, indexBytes) = await SampleDatabase.SizesAsync(source, ct).ConfigureAwait(false);
            _log?.Invoke($"{SourceDatabase}: {SizeText.Format(tableBytes)} in tables, {SizeText.Format(indexBytes)} in indexes");

            var dump = Path.Combine(work, "backups", SourceDatabase + ".dump");
            await new BackupRunner(new BackupOptions { Source = source, Destination = dump }, null, _log, _debug).RunAsync(ct).ConfigureAwait(false);

            var plain = await PlainRestoreAsync(cluster, dump, ct).ConfigureAwait(false);
            var phased = new List<DemoRestore>
            {
                await PhasedRestoreAsync(cluster, source, new ArchiveLocation(dump), "Auto (default), 2 jobs", "demo_auto", RestoreStrategy.Auto, 2, work, ct).ConfigureAwait(false),
                await PhasedRestoreAsync(cluster, source, new ArchiveLocation(dump), "PreCreate, 2 jobs", "demo_precreate", RestoreStrategy.PreCreate, 2, work, ct).ConfigureAwait(false),
            };

            string? leftOut = _options.SkipBucket ? "left out on request" : null;
            if (leftOut is null)
                (s3, leftOut) = StartS3rver(work);
            if (s3 is not null)
            {
                var storage = s3.Settings();
                using (var client = S3ClientFactory.Create(storage))
                    await client.PutBucketAsync(Bucket, ct).ConfigureAwait(false);
                var key = $"s3://{Bucket}/{SourceDatabase}.dump";
                await new BackupRunner(new BackupOptions { Source = source, Destination = key, Storage = storage }, null, _log, _debug).RunAsync(ct).ConfigureAwait(false);
                phased.Add(await PhasedRestoreAsync(cluster, source, new ArchiveLocation(key, storage), "Auto from s3rver, 2 jobs", "demo_bucket", RestoreStrategy.Auto, 2, work, ct).ConfigureAwait(false));
            }
            else
            {
                _log?.Invoke($"the round trip through a local s3rver is left out: {leftOut}");
            }

            return new DemoReport
            {
                Rows = _options.Rows, TableBytes = tableBytes, IndexBytes = indexBytes, Plain = plain, Phased = phased, BucketLeftOut = leftOut,
            };
        }
        finally
        {
            _log?.Invoke("removing the demo's cluster, s3rver and folders...");
            s3?.Dispose();
            cluster?.Dispose();
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _log?.Invoke($"could not remove {work}: {ex.Message}");
            }
        }
    }

    /// <summary>s3rver in the work folder when node and the launcher are there; otherwise why not.</summary>
    private (S3rverProcess?, string?) StartS3rver(string work)
    {
        if (S3rverProcess.FindNode() is not { } node)
            return (null, "node was not found (apt-get install nodejs)");
        if (S3rverProcess.FindLauncher(out var why) is not { } launcher)
            return (null, why);
        var s3 = new S3rverProcess(node, launcher, Path.Combine(work, "s3rver"));
        try
        {
            _log?.Invoke("starting s3rver...");
            s3.Start();
            _log?.Invoke($"s3rver on {s3.Endpoint}");
            return (s3, null);
        }
        catch (DemoException ex)
        {
            s3.Dispose();
            return (null, $"s3rver did not start: {ex.Message}");
        }
    }

    /// <summary>What operators run without pgphase: one pg_restore of the whole archive into an empty database.</summary>
    private async Task<DemoRestore> PlainRestoreAsync(ThrowawayCluster cluster, string dump, CancellationToken ct)
    {
        const string database = "demo_plain";
        var target = cluster.Connection(database);
        await SampleDatabase.CreateEmptyAsync(target, database, ct).ConfigureAwait(false);
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(dump), ct).ConfigureAwait(false);
        var pgRestore = PgToolLocator.Find("pg_restore", PgToolLocator.PgRestoreMajorFor(archive.Version), $"archive {dump}");
        _log?.Invoke($"restoring with plain pg_restore into {database}...");
        var clock = Stopwatch.StartNew();
        var run = await ToolProcess.RunAsync(pgRestore, ["--no-owner", "--dbname", target.ToLibpqString(), dump], target, _debug, ct).ConfigureAwait(false);
        clock.Stop();
        if (run.ExitCode != 0)
            throw new DemoException($"plain pg_restore into {database} exited with {run.ExitCode}: {string.Join(" | ", run.ErrorLines.TakeLast(5))}");
        return new DemoRestore("plain pg_restore", database, clock.Elapsed, [], null);
    }

    private async Task<DemoRestore> PhasedRestoreAsync(ThrowawayCluster cluster, PgConnectionInfo source, ArchiveLocation location,
        string name, string database, RestoreStrategy strategy, int jobs, string work, CancellationToken ct)
    {
        var target = cluster.Connection(database);
        var plan = await ArchivePlanning.PlanAsync(location, new PlanOptions { Strategy = strategy }, ct, target, log: _log).ConfigureAwait(false);
        if (strategy == RestoreStrategy.Auto)
            _log?.Invoke($"Auto builds {plan.IndexDecisions.Count(d => d.Late)} of {Plural.Of(plan.IndexDecisions.Count, "index")} late, right after their table's data");
        _log?.Invoke($"restoring in four phases ({name}) into {database}...");
        var options = new RestoreOptions
        {
            Target = target,
            CreateDatabase = true,
            NoOwner = true,
            Jobs = jobs,
            Storage = location.S3,
            // The journal stays in the work folder, which goes away with the demo.
            JournalPath = Path.Combine(work, database + ".journal.json"),
        };
        var clock = Stopwatch.StartNew();
        var phases = await new PhaseRestorer(options, _progress, _log, _debug).RunAsync(plan.Phases, ct).ConfigureAwait(false);
        clock.Stop();
        ct.ThrowIfCancellationRequested();
        _log?.Invoke($"verifying {database} against {SourceDatabase} (exact row counts)...");
        var verification = await RestoreVerifier.VerifyAsync(plan.Archive, target, source, RowCountMode.Exact, ct).ConfigureAwait(false);
        return new DemoRestore(name, database, clock.Elapsed, phases, verification);
    }
}
