using System.Diagnostics;
using System.Globalization;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Processes;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>
/// The pg_dump of one backup: its command line from the options, its output read for what it is dumping and for
/// errors, and the progress reported as the stored bytes grow. Every store runs the same pg_dump.
/// </summary>
/// <param name="options">What to dump and how.</param>
/// <param name="tool">The pg_dump that runs.</param>
/// <param name="rowsLeftOut">Tables whose rows a copy leaves out, beside the options' own.</param>
/// <param name="leaveOutLargeObjects">Whether a copy leaves out the large objects.</param>
/// <param name="progress">Bytes written and what pg_dump is doing.</param>
/// <param name="log">One line per step.</param>
/// <param name="debug">pg_dump's own output and the details of each step.</param>
internal sealed class BackupDump(BackupOptions options, PgTool tool, IReadOnlyList<string> rowsLeftOut, bool leaveOutLargeObjects,
    IProgress<BackupProgress>? progress, Action<string>? log, Action<string>? debug)
{
    public BackupOptions Options => options;
    public PgTool Tool => tool;
    public IReadOnlyList<string> RowsLeftOut => rowsLeftOut;

    /// <summary>What pg_dump is doing, as its output last said.</summary>
    public string Activity { get; private set; } = "starting pg_dump";

    /// <summary>Runs pg_dump writing <paramref name="file"/>, or its standard output to <paramref name="readStdout"/>.</summary>
    public Task<ToolResult> RunAsync(string? file, CancellationToken ct, Func<Stream, CancellationToken, Task>? readStdout = null) =>
        ToolProcess.RunAsync(Tool, Arguments(file), Options.Source, OnLine, ct, Environment(), readStdout: readStdout);

    private List<string> Arguments(string? file)
    {
        var args = BuildArguments(file);
        // The connection string carries no password (that goes through a password file), so this is safe to show.
        debug?.Invoke(ToolProcess.Display("pg_dump", args));
        return args;
    }

    private List<string> BuildArguments(string? file)
    {
        var args = new List<string> { "-d", Options.Source.ToLibpqString(), "-v" };
        args.Add(Options.Format == BackupFormat.Directory ? "-Fd" : "-Fc");
        if (file is not null)
            args.AddRange(["-f", file]);
        if (Options.Jobs > 1)
            args.AddRange(["-j", Options.Jobs.ToString(CultureInfo.InvariantCulture)]);
        if (!string.IsNullOrEmpty(Options.Compression))
            args.AddRange(["-Z", Options.Compression]);
        foreach (var s in Options.Schemas)
            args.Add("--schema=" + s);
        foreach (var s in Options.ExcludeSchemas)
            args.Add("--exclude-schema=" + s);
        foreach (var t in Options.Tables)
            args.Add("--table=" + t);
        foreach (var t in Options.ExcludeTables)
            args.Add("--exclude-table=" + t);
        foreach (var t in Options.ExcludeTableData.Concat(RowsLeftOut))
            args.Add("--exclude-table-data=" + t);
        if (leaveOutLargeObjects)
            args.Add("-B"); // --no-blobs, --no-large-objects from pg_dump 16 on
        if (Options.LockWaitTimeout is { } wait)
            args.Add("--lock-wait-timeout=" + ((long)wait.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
        return args;
    }

    private static Dictionary<string, string> Environment() => new() { ["PGAPPNAME"] = "pgphase backup" };

    private void OnLine(string line)
    {
        debug?.Invoke(line);
        const string dumping = "pg_dump: dumping contents of table ";
        if (line.StartsWith(dumping, StringComparison.Ordinal))
            Activity = "dumping table " + line[dumping.Length..];
        else if (line.Contains("error:", StringComparison.Ordinal) || line.Contains("warning:", StringComparison.Ordinal))
            Log(line);
    }

    /// <summary>Reports <paramref name="bytes"/> stored at <paramref name="destination"/>, with the rate since <paramref name="clock"/> started.</summary>
    public void Report(string destination, long bytes, Stopwatch clock, string activity) =>
        progress?.Report(new BackupProgress(Options.Source.Database!, destination, bytes, bytes / Math.Max(0.001, clock.Elapsed.TotalSeconds), activity));

    /// <summary>
    /// What pg_dump said went wrong: its error lines and what follows them (a DETAIL, the query), or, when it wrote
    /// none, its last lines; never its progress chatter (-v), which ends every run.
    /// </summary>
    public static string Tail(IReadOnlyList<string> lines)
    {
        static bool Error(string l) => l.StartsWith("pg_dump: error:", StringComparison.Ordinal);
        var said = lines.Any(Error)
            ? lines.SkipWhile(l => !Error(l)).Where(l => Error(l) || l.StartsWith("pg_dump: detail:", StringComparison.Ordinal) || !l.StartsWith("pg_dump: ", StringComparison.Ordinal)).Take(5)
            : lines.Where(l => !l.StartsWith("pg_dump: dumping", StringComparison.Ordinal) && !l.StartsWith("pg_dump: reading", StringComparison.Ordinal)).TakeLast(5);
        return string.Join(" | ", said);
    }

    /// <summary>
    /// pg_dump's failure as the option to change, where its words say which: a table or schema pattern that matched
    /// nothing, a table the source's role may not read, a lock held past the lock wait. Else a failed backup.
    /// <paramref name="where"/> starts the message (the destination, or "" when the caller adds it).
    /// </summary>
    public PgPhaseException Failure(string where, ToolResult run, string after = "")
    {
        var message = $"{where}pg_dump failed with exit code {run.ExitCode}: {Tail(run.ErrorLines)}{after}";
        bool Said(string words) => run.ErrorLines.Any(l => l.Contains(words, StringComparison.Ordinal));
        if (Said("no matching tables were found"))
            return PgPhaseException.OfOption(nameof(BackupOptions.Tables), message, PgPhaseErrorCode.InvalidInput);
        if (Said("no matching schemas were found"))
            return PgPhaseException.OfOption(nameof(BackupOptions.Schemas), message, PgPhaseErrorCode.InvalidInput);
        // With --lock-wait-timeout pg_dump bounds each LOCK TABLE by a statement timeout.
        if (Said("LOCK TABLE") && (Said("canceling statement due to statement timeout") || Said("canceling statement due to lock timeout")))
            return new PgPhaseException(message, PgPhaseErrorCode.SourceLocked);
        if (Said("permission denied"))
            return PgPhaseException.OfConnection(Options.Source, message, PgPhaseErrorCode.Permission);
        return new PgPhaseException(message, PgPhaseErrorCode.BackupFailed);
    }

    public void Log(string message) => log?.Invoke(message);

    public void Debug(string message) => debug?.Invoke(message);
}
