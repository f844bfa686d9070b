using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Processes;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>One index-building entry restored on its own by pg_restore, in a transaction of its own.</summary>
internal static class IndexBuild
{
    /// <summary>
    /// Builds <paramref name="entry"/>; <paramref name="when"/> says when, for its error ("built after its table's
    /// data"). With <paramref name="maintenanceWorkMemKb"/>, the build's sort gets that much memory in this backend
    /// alone (no parallel workers, which always write temp files); without it, the session's settings apply.
    /// </summary>
    public static async Task RunAsync(TocEntry entry, string when, long? maintenanceWorkMemKb, RestoreOptions options, PgTool pgRestore, DumpArchive archive,
        string workDir, BucketArchiveFeed? feed, Action<string>? debug, CancellationToken ct)
    {
        var list = Path.Combine(workDir, $"index-{entry.DumpId}.list");
        await File.WriteAllTextAsync(list, RestoreList.Format(archive, [entry]), ct).ConfigureAwait(false);
        var args = PgRestoreArguments.ForEntry(options, list, feed is null ? archive.Source : null);
        var settings = PgRestoreArguments.SessionOptions(options);
        // The user's settings first: the last -c of a name wins, and the sort's memory and workers are not theirs to change.
        var pgOptions = maintenanceWorkMemKb is { } kb ? (settings is null ? "" : settings + " ") + $"-c maintenance_work_mem={kb}kB -c max_parallel_maintenance_workers=0" : settings;
        var env = new Dictionary<string, string> { ["PGAPPNAME"] = StaleSessions.ApplicationName(3) };
        if (pgOptions is not null)
            env["PGOPTIONS"] = pgOptions;
        Func<Stream, CancellationToken, Task>? input = feed is null ? null : feed.TocSuffices ? feed.WriteTocAsync : (s, t) => feed.WriteAllAsync(s, null, t);
        var errors = new List<string>();
        var run = await ToolProcess.RunAsync(pgRestore, args, options.Target, line =>
        {
            debug?.Invoke(line);
            if (line.Contains("error:", StringComparison.Ordinal))
                lock (errors)
                    errors.Add(line);
        }, ct, env, input).ConfigureAwait(false);
        if (run.ExitCode != 0)
            throw new PgPhaseException($"{entry.TocLabel}, {when}: " +
                                       (errors.Count > 0 ? string.Join(" | ", errors) : $"pg_restore exited with code {run.ExitCode}"), PgPhaseErrorCode.RestoreFailed);
    }
}
