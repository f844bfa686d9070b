using System.Text;
using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Processes;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Verification;

/// <summary>
/// Row counts taken from the archive itself, so that a restored database can be checked without its source:
/// pg_restore writes the table data as a script on its standard output, and the rows of each COPY block are
/// counted there (COPY's text format escapes newlines, so one row is one line). One more pass over the archive's
/// data, with nothing kept but the counts.
/// </summary>
internal static class ArchiveRowCounts
{
    /// <summary>Compares each table's row count in the archive with count(*) in the target.</summary>
    public static async Task<(List<VerificationDifference> Differences, List<string> Notes, int Counted)> CompareAsync(
        DumpArchive archive, IReadOnlyList<TocEntry> tables, PgConnectionInfo target, string? pgRestorePath, S3Settings storage, CancellationToken ct)
    {
        var inArchive = await CountAsync(archive, tables, pgRestorePath, storage, ct).ConfigureAwait(false);
        var differences = new List<VerificationDifference>();
        var notes = new List<string>();
        int counted = 0;
        await using var conn = await target.OpenAsync("pgphase verify", ct).ConfigureAwait(false);
        await using (var off = new NpgsqlCommand("SET row_security = off", conn))
            await off.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        foreach (var table in tables)
        {
            if (!inArchive.TryGetValue(table.DumpId, out long expected))
            {
                notes.Add($"{table.QualifiedName}: pg_restore wrote no data block for it; rows not counted");
                continue;
            }
            long actual;
            try
            {
                await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM ONLY {SqlText.Qualified(table.Schema, table.Name!)}", conn);
                actual = (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            }
            catch (PostgresException ex) when (RowSecurity.Refused(ex))
            {
                notes.Add(RowSecurity.NotCounted(table.QualifiedName));
                continue;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                differences.Add(new(DifferenceKind.Missing, "TABLE", table.Schema, table.Name!, Plural.Of(expected, "row"), "absent", table.DumpId));
                continue;
            }
            counted++;
            if (actual != expected)
                differences.Add(new(DifferenceKind.RowCount, "TABLE", table.Schema, table.Name!, $"{Plural.Of(expected, "row")} (archive)", Plural.Of(actual, "row"), table.DumpId));
        }
        return (differences, notes, counted);
    }

    /// <summary>Rows per TABLE DATA entry (by dump id) as the archive holds them.</summary>
    public static async Task<Dictionary<int, long>> CountAsync(DumpArchive archive, IReadOnlyList<TocEntry> tables, string? pgRestorePath, S3Settings storage,
        CancellationToken ct)
    {
        var counter = new CopyCounter(archive, tables);
        if (tables.Count == 0)
            return counter.Counts;
        var pgRestore = PgToolLocator.Find("pg_restore", PgToolLocator.PgRestoreMajorFor(archive.Version),
            $"archive {archive.Source} (archive version {archive.Version})", pgRestorePath);
        var dir = ProcessScopedTemp.CreateDirectory("pgphase-rows-");
        try
        {
            var list = Path.Combine(dir, "data.list");
            await File.WriteAllTextAsync(list, RestoreList.Format(archive, tables), ct).ConfigureAwait(false);
            var args = new List<string> { "--data-only", "-L", list, "-f", "-" };
            var location = archive.LocationWith(storage);
            if (!location.IsBucket)
                args.Add(archive.Source);
            using var client = location.CreateClient();
            var feed = client is null ? null : await ArchiveCheck.RunAsync(archive, tables, client, storage, skipChecks: true, null, ct).ConfigureAwait(false);
            var run = await ToolProcess.RunAsync(pgRestore, args, null, null, ct,
                writeStdin: feed is null ? null : (stdin, token) => feed.WriteAllAsync(stdin, null, token),
                readStdout: counter.ReadAsync).ConfigureAwait(false);
            if (run.ExitCode != 0)
                throw new PgPhaseException($"pg_restore could not read the table data of {archive.Source} to count its rows (exit {run.ExitCode}): {string.Join(" | ", run.ErrorLines.TakeLast(5))}", PgPhaseErrorCode.RestoreFailed);
            if (feed?.IntegrityProblem is { } damaged)
                throw new PgPhaseException(damaged, PgPhaseErrorCode.DamagedArchive);
            return counter.Counts;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Reads pg_restore's script: "-- Data for Name: t; Type: TABLE DATA; Schema: s; ..." says which table the next
    /// COPY block belongs to (list order when a name cannot be matched), and the block's lines up to "\." are rows.
    /// </summary>
    private sealed class CopyCounter
    {
        private const int HeadSize = 4096;
        private static readonly byte[] DataHeader = "-- Data for Name: "u8.ToArray();
        private static readonly byte[] CopyStart = "COPY "u8.ToArray();
        private static readonly byte[] CopyEnd = " FROM stdin;"u8.ToArray();

        private readonly Dictionary<string, int> _byHeader = new(StringComparer.Ordinal);
        private readonly IReadOnlyList<TocEntry> _tables;
        private readonly Encoding _encoding;
        private readonly byte[] _head = new byte[HeadSize];
        private readonly byte[] _tail = new byte[CopyEnd.Length];
        private int _headLength;
        private long _lineLength;
        private bool _inCopy;
        private long _rows;
        private int _next;
        private TocEntry? _current;

        public CopyCounter(DumpArchive archive, IReadOnlyList<TocEntry> tables)
        {
            _tables = tables;
            var encodingEntry = archive.Entries.FirstOrDefault(e => e.Type == "ENCODING");
            _encoding = encodingEntry?.Definition is { } set ? ServerEncoding.FromSetCommand(set) : new UTF8Encoding(false, false);
            for (int i = 0; i < tables.Count; i++)
                _byHeader.TryAdd(HeaderKey(tables[i]), i);
        }

        public Dictionary<int, long> Counts { get; } = [];

        private static string HeaderKey(TocEntry e) =>
            $"-- Data for Name: {OneLine(e.Name)}; Type: TABLE DATA; Schema: {(string.IsNullOrEmpty(e.Schema) ? "-" : OneLine(e.Schema))}";

        private static string OneLine(string? s) => (s ?? "").Replace('\r', ' ').Replace('\n', ' ');

        public async Task ReadAsync(Stream stdout, CancellationToken ct)
        {
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await stdout.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                int start = 0;
                while (start < n)
                {
                    int newline = buffer.AsSpan(start, n - start).IndexOf((byte)'\n');
                    int end = newline < 0 ? n : start + newline;
                    Append(buffer.AsSpan(start, end - start));
                    if (newline < 0)
                        break;
                    OnLine();
                    start = end + 1;
                }
            }
            if (_lineLength > 0)
                OnLine();
        }

        private void Append(ReadOnlySpan<byte> part)
        {
            int room = HeadSize - _headLength;
            if (room > 0)
            {
                var copied = part[..Math.Min(room, part.Length)];
                copied.CopyTo(_head.AsSpan(_headLength));
                _headLength += copied.Length;
            }
            // The last bytes of the line, for recognising a COPY statement longer than the head.
            if (part.Length >= _tail.Length)
                part[^_tail.Length..].CopyTo(_tail);
            else if (part.Length > 0)
            {
                _tail.AsSpan(part.Length).CopyTo(_tail);
                part.CopyTo(_tail.AsSpan(_tail.Length - part.Length));
            }
            _lineLength += part.Length;
        }

        private void OnLine()
        {
            var head = _head.AsSpan(0, _headLength);
            if (_inCopy)
            {
                if (_lineLength == 2 && head[0] == (byte)'\\' && head[1] == (byte)'.')
                {
                    if (_current is not null)
                        Counts[_current.DumpId] = _rows;
                    _inCopy = false;
                    _current = null;
                }
                else
                    _rows++;
            }
            else if (head.StartsWith(DataHeader))
            {
                var text = _encoding.GetString(head);
                int owner = text.LastIndexOf("; Owner: ", StringComparison.Ordinal);
                var key = owner < 0 ? text : text[..owner];
                if (_byHeader.TryGetValue(key, out int index))
                    _next = index;
                _current = _next < _tables.Count ? _tables[_next++] : null;
            }
            else if (head.StartsWith(CopyStart) && _lineLength >= CopyEnd.Length && _tail.AsSpan().SequenceEqual(CopyEnd))
            {
                _inCopy = true;
                _rows = 0;
            }
            _headLength = 0;
            _lineLength = 0;
        }
    }
}
