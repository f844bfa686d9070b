using System.Text.RegularExpressions;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>Reads pg_restore's verbose stderr: which item runs, which table's data finished, and what failed where.</summary>
internal sealed partial class PgRestoreOutput
{
    private int? _errorEntryId;
    private string? _errorEntryText;
    private readonly List<RestoreError> _errors = [];

    /// <summary>
    /// The errors, in the order printed, but a worker's death last: pg_restore -j's leader may say "a worker process
    /// died unexpectedly" before the worker's own error reaches stderr, and the cause is what a host reports first.
    /// </summary>
    public IReadOnlyList<RestoreError> Errors => _errors.Any(IsConsequence) ? [.. _errors.OrderBy(IsConsequence)] : _errors;

    /// <summary>What pg_restore -j's leader says when a worker ended on an error of its own: never the cause.</summary>
    public static bool IsConsequence(RestoreError error) => error.DumpId is null && error.Message.StartsWith("a worker process died unexpectedly", StringComparison.Ordinal);

    /// <summary>The error printed last.</summary>
    public RestoreError Last => _errors[^1];

    /// <summary>The last error, which named no entry, with more said about where it happened.</summary>
    public void Amend(string message) => _errors[^1] = _errors[^1] with { Message = message };

    public enum Kind
    {
        Other,
        /// <summary>Serial data load of a table started: "processing data for table "s.t"".</summary>
        TableDataStarted,
        /// <summary>Parallel worker finished an item: "finished item 3817 TABLE DATA customer".</summary>
        ItemFinished,
        /// <summary>Another schema or data item started.</summary>
        ItemStarted,
        Error,
    }

    /// <summary>Gives the last error, which named no entry, the entry it concerns and a message that says more.</summary>
    public void Attribute(Archive.TocEntry entry, string message) =>
        _errors[^1] = _errors[^1] with { DumpId = entry.DumpId, Entry = $"{entry.Type} {entry.Schema} {entry.Name}", Message = message };

    /// <summary>
    /// What an error pg_restore printed says went wrong: its archive's bytes (data that does not decompress, a block or
    /// header that is not where or what it should be, a file that ends early) or anything else, the restore's.
    /// </summary>
    public static PgPhaseErrorCode CodeOf(string? message) =>
        message is not null && Damage().IsMatch(message) ? PgPhaseErrorCode.DamagedArchive : PgPhaseErrorCode.RestoreFailed;

    /// <summary>What the lines pg_restore printed say went wrong: the archive's bytes when any line says so.</summary>
    public static PgPhaseErrorCode CodeOf(IEnumerable<string> lines) =>
        lines.Any(l => CodeOf(l) == PgPhaseErrorCode.DamagedArchive) ? PgPhaseErrorCode.DamagedArchive : PgPhaseErrorCode.RestoreFailed;

    public (Kind Kind, string? Name, int? DumpId) Parse(string line)
    {
        if (line.StartsWith("Command was:", StringComparison.Ordinal) && _errors.Count > 0)
        {
            var last = _errors[^1];
            _errors[^1] = last with { Message = last.Message + " | " + line };
            return (Kind.Other, null, null);
        }
        var m = FromEntry().Match(line);
        if (m.Success)
        {
            _errorEntryId = int.Parse(m.Groups[1].Value);
            _errorEntryText = m.Groups[2].Value;
            return (Kind.Other, null, _errorEntryId);
        }
        m = ErrorLine().Match(line);
        if (m.Success)
        {
            _errors.Add(new RestoreError(_errorEntryId, _errorEntryText, m.Groups[1].Value) { Code = CodeOf(m.Groups[1].Value) });
            _errorEntryId = null;
            _errorEntryText = null;
            return (Kind.Error, null, null);
        }
        m = TableData().Match(line);
        if (m.Success)
            return (Kind.TableDataStarted, m.Groups[1].Value, null);
        m = Finished().Match(line);
        if (m.Success)
            return (Kind.ItemFinished, null, int.Parse(m.Groups[1].Value));
        if (Creating().IsMatch(line))
            return (Kind.ItemStarted, line, null);
        return (Kind.Other, null, null);
    }

    [GeneratedRegex(@"^pg_restore: from TOC entry (\d+); \d+ \d+ (.*)$")]
    private static partial Regex FromEntry();

    [GeneratedRegex(@"^pg_restore: error: (.*)$")]
    private static partial Regex ErrorLine();

    // pg_restore's own words for damage, from compress_*.c, pg_backup_custom.c, pg_backup_tar.c and pg_backup_archiver.c.
    // Anchored: a line may quote row values. "could not find block ID" only where pg_restore itself says the archive may be
    // corrupt: its other two forms are about input it cannot seek in.
    [GeneratedRegex(@"^(?:pg_restore: error: )?(?:could not (?:un|de)compress(?: data)?:|could not find block ID \d+ in archive -- possibly corrupt archive|" +
                    @"found unexpected block ID|unrecognized data block type|could not read from input file: end of file|unexpected end of file|" +
                    @"corrupt tar header|could not find header for file|" +
                    // A directory's gzip data file cut short: zlib reports the missing end only as the file is closed.
                    @"could not close data file)")]
    private static partial Regex Damage();

    [GeneratedRegex(@"^pg_restore: processing data for table ""(.*)""$")]
    private static partial Regex TableData();

    [GeneratedRegex(@"^pg_restore: finished item (\d+) ")]
    private static partial Regex Finished();

    [GeneratedRegex(@"^pg_restore: (creating|executing|launching item|processing item) ")]
    private static partial Regex Creating();
}
