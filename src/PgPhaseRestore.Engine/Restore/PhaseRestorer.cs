using System.Diagnostics;
using Amazon.S3;
using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Tools;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Runs the phases of a plan with pg_restore -L, one list file per phase, under a per-target lock, recording
/// progress in a journal so that an interrupted restore resumes at its first unfinished step.
/// </summary>
/// <remarks>
/// Phases 1, 2 and 4 run in a single transaction each: interrupted, they leave nothing behind and simply run
/// again. Phase 3 commits table by table; on resume, finished tables are skipped and every unfinished one is
/// emptied first, so a half-loaded table is reloaded from empty and no row is ever duplicated.
/// </remarks>
public sealed class PhaseRestorer
{
    private readonly RestoreOptions _options;
    private readonly IProgress<RestoreProgress>? _progress;
    private readonly Action<string>? _log;
    private readonly Action<string>? _debug;

    public PhaseRestorer(RestoreOptions options, IProgress<RestoreProgress>? progress = null, Action<string>? log = null, Action<string>? debug = null)
    {
        _options = options;
        _progress = progress;
        _log = log;
        _debug = debug;
    }

    public async Task<IReadOnlyList<PhaseResult>> RunAsync(IReadOnlyList<RestorePhase> phases, CancellationToken ct)
    {
        if (phases.Count == 0)
            throw new ArgumentException("no phases to run");
        var archive = phases[0].Archive;
        if (phases.Any(p => !ReferenceEquals(p.Archive, archive) && p.Archive.Source != archive.Source))
            throw new ArgumentException("the phases come from different archives; restore one archive at a time");

        var wanted = _options.Phases.Count == 0 ? phases.Select(p => p.Number).ToHashSet() : _options.Phases.ToHashSet();
        var unknown = wanted.Where(n => phases.All(p => p.Number != n)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"phase {string.Join(", ", unknown)} is not among the phases given ({string.Join(", ", phases.Select(p => p.Number))})");
        var selected = phases.Where(p => wanted.Contains(p.Number)).OrderBy(p => p.Number).ToList();

        var target = _options.Target;
        if (string.IsNullOrEmpty(target.Database))
            throw new ArgumentException("the target connection names no database (dbname)");
        var pgRestore = PgToolLocator.Find("pg_restore", PgToolLocator.PgRestoreMajorFor(archive.Version),
            $"archive {archive.Source} (archive version {archive.Version})", _options.PgRestorePath);
        Log($"using {pgRestore.VersionText} at {pgRestore.Path}");

        var storage = S3ObjectLocation.IsS3Uri(archive.Source) ? _options.Storage ?? archive.Storage ?? S3Settings.FromEnvironment() : null;
        using var client = storage is null ? null : S3ClientFactory.Create(storage);
        var feed = await CheckArchiveAsync(archive, client, storage, ct).ConfigureAwait(false);

        bool created = await TargetDatabase.EnsureExistsAsync(target, _options.CreateDatabase, ct).ConfigureAwait(false);
        if (created)
            Log($"created database \"{target.Database}\"");

        await using var lockConnection = await TargetDatabase.LockAsync(target, $"pgphase restore (pid {Environment.ProcessId})", ct).ConfigureAwait(false);
        var journal = RestoreJournal.Load(_options.JournalPath ?? RestoreJournal.DefaultPath(target.ToString()));
        await PrepareJournalAsync(journal, archive, selected, lockConnection, ct).ConfigureAwait(false);

        var workDir = _options.ListDirectory ?? Directory.CreateTempSubdirectory("pgphase-lists-").FullName;
        var results = new List<PhaseResult>();
        try
        {
            bool failed = false;
            foreach (var phase in selected)
            {
                if (failed)
                {
                    results.Add(Result(phase, PhaseStatus.NotRun, default, TimeSpan.Zero, 0, [], "an earlier phase failed"));
                    continue;
                }
                if (_options.Resume && journal.CompletedPhases.Contains(phase.Number))
                {
                    results.Add(Result(phase, PhaseStatus.Skipped, DateTimeOffset.UtcNow, TimeSpan.Zero, 0, [], "completed earlier (journal)"));
                    continue;
                }
                var result = await RunPhaseAsync(phase, pgRestore, journal, lockConnection, workDir, feed, ct).ConfigureAwait(false);
                results.Add(result);
                failed = result.Status != PhaseStatus.Succeeded && _options.StopOnError;
            }
        }
        finally
        {
            if (_options.ListDirectory is null)
                Directory.Delete(workDir, recursive: true);
        }
        return results;
    }

    /// <summary>
    /// Compares the archive with its manifest (a size that differs means a damaged or replaced backup) and, for an
    /// archive in a bucket, prepares the feed that streams it into pg_restore.
    /// </summary>
    private async Task<BucketArchiveFeed?> CheckArchiveAsync(DumpArchive archive, IAmazonS3? client, S3Settings? storage, CancellationToken ct)
    {
        var manifest = _options.SkipChecks ? null : await ManifestStore.TryLoadAsync(archive.Source, client, ct).ConfigureAwait(false);
        if (!_options.SkipChecks)
        {
            if (manifest is null)
                Log($"no manifest beside {archive.Source}: it is not known to be a complete, verified backup");
            else
            {
                long size = client is not null ? await BucketProbe.SizeAsync(client, S3ObjectLocation.Parse(archive.Source), ct).ConfigureAwait(false)
                    : LocalPaths.Size(archive.Source);
                if (size != manifest.Size)
                    throw new RestoreException($"{archive.Source} is {size} bytes but its manifest says {manifest.Size}: the backup was damaged or replaced after it was made");
                Log($"{archive.Source}: backup of \"{manifest.Database}\" from {manifest.Server} made {manifest.CompletedAt:u}, {SizeText.Format(manifest.Size)} as its manifest says");
            }
        }
        if (client is null || storage is null)
            return null;
        // A long data stream rides out at least ten reconnections (about two and a half minutes of backoff).
        return new BucketArchiveFeed(client, S3ObjectLocation.Parse(archive.Source), archive, manifest, Math.Max(storage.MaxRetries, 10), _log);
    }

    private async Task PrepareJournalAsync(RestoreJournal journal, DumpArchive archive, List<RestorePhase> selected, NpgsqlConnection conn, CancellationToken ct)
    {
        var fingerprint = Fingerprint(archive);
        if (_options.Resume)
        {
            if (journal.Fingerprint.Length > 0 && journal.Fingerprint != fingerprint)
                throw new RestoreException($"the journal {journal.Path} belongs to a restore of another archive ({journal.Archive}); resume that one, or start over without resuming");
            if (journal.Fingerprint.Length == 0)
                journal.Reset(archive.Source, fingerprint, _options.Target.ToString());
            return;
        }

        bool sameRestore = journal.Fingerprint == fingerprint;
        // Running an interrupted data phase again from the top would load its finished tables twice.
        var interrupted = selected.Where(p => sameRestore && journal.IsInterrupted(p.Number) && p.Kind == PhaseKind.Data).Select(p => p.Number).ToList();
        if (interrupted.Count > 0 && !_options.Force)
            throw new RestoreException($"phase {string.Join(", ", interrupted)} was interrupted on \"{_options.Target.Database}\" (journal {journal.Path}); resume it so that no row is loaded twice");

        var alreadyDone = selected.Where(p => sameRestore && journal.CompletedPhases.Contains(p.Number)).Select(p => p.Number).ToList();
        if (alreadyDone.Count > 0 && !_options.Force)
            throw new RestoreException($"phase {string.Join(", ", alreadyDone)} already completed on \"{_options.Target.Database}\" from this archive (journal {journal.Path}); resume to continue, or force to run again");
        bool startsFresh = selected.Any(p => p.Kind == PhaseKind.Schema);
        if (startsFresh && !_options.AllowNonEmptyTarget)
        {
            var contents = await TargetDatabase.DescribeContentsAsync(conn, ct).ConfigureAwait(false);
            if (contents is not null)
                throw new RestoreException($"target database \"{_options.Target.Database}\" is not empty ({contents}); restore into an empty database, or allow a non-empty target explicitly");
        }
        if (startsFresh || !sameRestore)
            journal.Reset(archive.Source, fingerprint, _options.Target.ToString());
        else if (_options.Force)
            foreach (var p in selected)
                journal.ForgetPhase(p.Number);
    }

    private static string Fingerprint(DumpArchive a) =>
        $"{a.Source}|{a.DatabaseName}|{a.Header.CreatedAt:O}|{a.Entries.Count}|{a.Entries.LastOrDefault()?.DumpId}";

    private async Task<PhaseResult> RunPhaseAsync(RestorePhase phase, PgTool pgRestore, RestoreJournal journal, NpgsqlConnection conn, string workDir,
        BucketArchiveFeed? feed, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var entries = phase.Entries.ToList();

        if (phase.Kind == PhaseKind.Data && journal.IsInterrupted(phase.Number))
        {
            // Resume at table granularity: skip what finished, empty what may be half-loaded.
            var done = entries.Where(e => e.Type == "TABLE DATA" && journal.IsTableDone(e.DumpId)).ToList();
            entries = entries.Except(done).ToList();
            foreach (var e in entries.Where(e => e.Type == "TABLE DATA"))
                await TruncateAsync(conn, e, ct).ConfigureAwait(false);
            Log($"phase 3 resumes: {done.Count} tables finished earlier are skipped, {entries.Count(e => e.Type == "TABLE DATA")} are reloaded from empty");
        }
        journal.StartPhase(phase.Number);

        if (entries.Count == 0)
        {
            journal.CompletePhase(phase.Number);
            Report(phase, 0, 0, "nothing to do");
            return Result(phase, PhaseStatus.Succeeded, started, clock.Elapsed, 0, [], phase.EntryCount == 0 ? "no entries" : "all entries completed earlier");
        }

        var listFile = Path.Combine(workDir, $"phase-{phase.Number}-{phase.Name.ToLowerInvariant()}.list");
        await File.WriteAllTextAsync(listFile, RestoreList.Format(phase.Archive, entries), ct).ConfigureAwait(false);

        var args = new List<string> { "-d", _options.Target.ToLibpqString(), "-L", listFile, "-v" };
        int jobs = phase.Kind == PhaseKind.Data && phase.Archive.Format != ArchiveFormat.Tar && feed is null ? Math.Max(1, _options.Jobs) : 1;
        if (feed is not null && phase.Kind == PhaseKind.Data && _options.Jobs > 1)
            Log($"phase {phase.Number} streams {phase.Archive.Source} through one pg_restore: parallel jobs need a seekable archive (a local file or folder)");
        if (phase.Kind == PhaseKind.Data)
        {
            if (_options.StopOnError)
                args.Add("--exit-on-error");
            if (jobs > 1)
                args.AddRange(["-j", jobs.ToString()]);
        }
        else if (_options.StopOnError)
        {
            // All or nothing: an interrupted schema, index or post-data phase leaves nothing to clean up.
            args.Add("--single-transaction");
        }
        if (_options.NoOwner)
            args.Add("--no-owner");
        if (_options.NoPrivileges)
            args.Add("--no-privileges");
        if (!string.IsNullOrEmpty(_options.Role))
            args.Add("--role=" + _options.Role);
        int itemsDone = 0, tablesLoaded = 0;
        // From a bucket, pg_restore reads standard input: the TOC alone for phases without data, the whole object for data.
        Func<Stream, CancellationToken, Task>? feedInput = null;
        if (feed is null)
            args.Add(phase.Archive.Source);
        else if (phase.Kind == PhaseKind.Data || !feed.TocSuffices)
            feedInput = (stdin, token) => feed.WriteAllAsync(stdin, (done, total, rate) =>
                Report(phase, itemsDone, entries.Count, $"streamed {SizeText.Format(done)} of {SizeText.Format(total)} at {SizeText.Format((long)rate)}/s"), token);
        else
            feedInput = feed.WriteTocAsync;

        var env = new Dictionary<string, string> { ["PGAPPNAME"] = $"pgphase phase {phase.Number}" };
        if (_options.SessionSettings.Count > 0)
            env["PGOPTIONS"] = string.Join(' ', _options.SessionSettings.Select(kv => $"-c {kv.Key}={EscapeOption(kv.Value)}"));

        var output = new PgRestoreOutput();
        var byName = entries.Where(e => e.Type == "TABLE DATA").GroupBy(e => $"{e.Schema}.{e.Name}").ToDictionary(g => g.Key, g => g.First());
        TocEntry? loading = null;
        Report(phase, 0, entries.Count, $"starting pg_restore with {entries.Count} entries");

        // The target connection string carries no password (that goes through a password file), so this is safe to show.
        _debug?.Invoke("pg_restore " + string.Join(' ', args.Select(a => a.Contains(' ') ? $"'{a}'" : a)) + (feedInput is null ? "" : " < " + phase.Archive.Source));

        void OnLine(string line)
        {
            _debug?.Invoke(line);
            var (kind, name, dumpId) = output.Parse(line);
            switch (kind)
            {
                case PgRestoreOutput.Kind.TableDataStarted:
                    if (loading is not null)
                    {
                        journal.CompleteTable(loading.DumpId);
                        Interlocked.Increment(ref tablesLoaded);
                    }
                    loading = name is not null ? byName.GetValueOrDefault(name) : null;
                    Report(phase, Interlocked.Increment(ref itemsDone), entries.Count, $"loading table {name}");
                    break;
                case PgRestoreOutput.Kind.ItemFinished when dumpId is { } id:
                    var finished = phase.Archive.FindByDumpId(id);
                    if (finished?.Type == "TABLE DATA")
                    {
                        journal.CompleteTable(id);
                        Interlocked.Increment(ref tablesLoaded);
                    }
                    Report(phase, Interlocked.Increment(ref itemsDone), entries.Count, $"finished {finished?.Type} {finished?.QualifiedName}");
                    break;
                case PgRestoreOutput.Kind.ItemStarted when jobs == 1:
                    Report(phase, Interlocked.Increment(ref itemsDone), entries.Count, name!["pg_restore: ".Length..]);
                    break;
                case PgRestoreOutput.Kind.Error:
                    Log(line);
                    break;
            }
        }

        ToolResult run;
        try
        {
            run = await ToolProcess.RunAsync(pgRestore, args, _options.Target, OnLine, ct, env, feedInput).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log($"phase {phase.Number} cancelled: pg_restore stopped; the journal keeps what finished");
            throw;
        }

        if (run.ExitCode == 0 && feed?.IntegrityProblem is { } damaged && phase.Kind == PhaseKind.Data)
            return Result(phase, PhaseStatus.Failed, started, clock.Elapsed, entries.Count, [new RestoreError(null, null, damaged)], null, tablesLoaded);
        if (run.ExitCode == 0)
        {
            if (loading is not null && jobs == 1)
            {
                journal.CompleteTable(loading.DumpId);
                tablesLoaded++;
            }
            journal.CompletePhase(phase.Number);
            Report(phase, entries.Count, entries.Count, "done");
            return Result(phase, PhaseStatus.Succeeded, started, clock.Elapsed, entries.Count, output.Errors, null, tablesLoaded);
        }

        var errors = output.Errors.Count > 0 ? output.Errors : [new RestoreError(null, null, $"pg_restore exited with code {run.ExitCode}: {string.Join(" | ", run.ErrorLines.TakeLast(5))}")];
        return Result(phase, PhaseStatus.Failed, started, clock.Elapsed, entries.Count, errors, null, tablesLoaded);
    }

    private static async Task TruncateAsync(NpgsqlConnection conn, TocEntry data, CancellationToken ct)
    {
        if (data.Name is null)
            return;
        await using var cmd = new NpgsqlCommand($"TRUNCATE ONLY {SqlText.Qualified(data.Schema, data.Name)}", conn);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static string EscapeOption(string value) => value.Replace("\\", "\\\\").Replace(" ", "\\ ");

    private PhaseResult Result(RestorePhase phase, PhaseStatus status, DateTimeOffset started, TimeSpan duration, int entries,
        IReadOnlyList<RestoreError> errors, string? note, int tablesLoaded = 0) => new()
    {
        Phase = phase.Number,
        Name = phase.Name,
        Status = status,
        Target = _options.Target.ToString(),
        Source = phase.Source,
        StartedAt = started,
        Duration = duration,
        Entries = entries,
        TablesLoaded = tablesLoaded,
        Errors = errors,
        Note = note,
    };

    private void Report(RestorePhase phase, int done, int total, string activity) =>
        _progress?.Report(new RestoreProgress(phase.Number, phase.Name, done, total, activity));

    private void Log(string message) => _log?.Invoke(message);
}
