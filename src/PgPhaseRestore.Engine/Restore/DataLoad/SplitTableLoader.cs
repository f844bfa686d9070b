using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Processes;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Loads one big table over several connections at once. With its indexes already in place, the cost of a load
/// is index maintenance in the backend, so one COPY keeps one core busy however many the server has; splitting
/// the rows over N sessions spreads that work over N backends.
/// </summary>
/// <remarks>
/// The block of a local custom file (at its TOC offset) or a directory's data file is decompressed in this process
/// (zlib or none); otherwise pg_restore decodes the table's data block (any format, any compression) and prints it
/// as a COPY script on stdout. The rows (one line each in COPY text format, where newlines inside values are escaped) are cut at line
/// boundaries into chunks, and each chunk goes to whichever session is free. Every session commits on its own,
/// so the table counts as loaded only when all of them have; if any fails, the others are cancelled, and a
/// resume empties the table and loads it again.
/// </remarks>
internal sealed class SplitTableLoader
{
    private const int ChunkSize = 512 * 1024;

    private readonly RestoreOptions _options;
    private readonly PgTool _pgRestore;
    private readonly Action<string>? _debug;
    // Tables whose rows met a value BinaryRows does not convert: loaded again, and from then on, as COPY text.
    private readonly ConcurrentDictionary<int, bool> _textOnly = new();

    public SplitTableLoader(RestoreOptions options, PgTool pgRestore, Action<string>? debug)
    {
        _options = options;
        _pgRestore = pgRestore;
        _debug = debug;
    }

    /// <summary>Measures the loads of tables whose late builds' sorts are still to confirm; null when none are.</summary>
    public SortConfirmations? Confirmations { get; init; }

    /// <summary>Rows and bytes sent so far, for progress.</summary>
    public sealed record Progress(long Rows, long Bytes);

    /// <summary>
    /// Loads the table; returns the number of rows. Throws when any session or pg_restore fails. With
    /// <paramref name="input"/>, pg_restore reads the archive from standard input (the TOC and the table's block).
    /// </summary>
    public async Task<long> LoadAsync(TocEntry table, DumpArchive archive, int sessions, string workDir, Action<Progress>? progress, CancellationToken ct,
        Func<Stream, CancellationToken, Task>? input = null)
    {
        // A block of a local archive is decompressed here: no pg_restore, and no pipe for every row to cross twice.
        if (input is null && ArchiveTableData.CanOpenRows(archive, table))
            return await LoadRowsAsync(table, () => ArchiveTableData.OpenRows(archive, table)
                    ?? throw new PgPhaseException($"{table}: its data in {archive.Source} can no longer be read", PgPhaseErrorCode.RestoreFailed),
                Describe(table, archive), sessions, progress, ct).ConfigureAwait(false);
        var listFile = Path.Combine(workDir, $"table-{table.DumpId}.list");
        await File.WriteAllTextAsync(listFile, RestoreList.Format(archive, [table]), ct).ConfigureAwait(false);
        string[] args = input is null ? ["-L", listFile, "-f", "-", archive.Source] : ["-L", listFile, "-f", "-"];
        // The feed's verdict on the block (its SHA-256) comes before pg_restore can see the block's end: once given,
        // whatever else then fails (pg_restore's input cut short, a session's COPY) follows from it, and it is what
        // the user is told, whichever failure surfaces first.
        PgPhaseException? damage = null;
        var feed = input is null ? null : new Func<Stream, CancellationToken, Task>(async (stdin, token) =>
        {
            try
            {
                await input(stdin, token).ConfigureAwait(false);
            }
            catch (PgPhaseException ex) when (PgPhaseErrors.IsRestore(ex.Code))
            {
                damage = ex;
                throw;
            }
        });
        try
        {
            return await LoadFromPgRestoreAsync(table, args, archive.Source, sessions, progress, feed, ct).ConfigureAwait(false);
        }
        catch (Exception) when (damage is not null)
        {
            ExceptionDispatchInfo.Throw(damage);
            throw;
        }
    }

    private Task<long> LoadFromPgRestoreAsync(TocEntry table, string[] args, string archiveSource, int sessions, Action<Progress>? progress,
        Func<Stream, CancellationToken, Task>? input, CancellationToken ct) =>
        LoadCoreAsync(table, sessions, progress, async (chunks, report, stop) =>
        {
            string? problem = null;
            ToolResult run;
            try
            {
                run = await ToolProcess.RunAsync(_pgRestore, args, null,
                    line => { _debug?.Invoke(line); problem ??= line.Contains("error:", StringComparison.Ordinal) ? line : null; }, stop,
                    new Dictionary<string, string> { ["PGAPPNAME"] = StaleSessions.ApplicationName(3) }, input,
                    readStdout: (stdout, token) => SplitAsync(stdout, chunks, table, rowsOnly: false, "pg_restore's output", report, token)).ConfigureAwait(false);
            }
            catch (PgPhaseException ex) when (problem is not null && ex.Code == PgPhaseErrorCode.RestoreFailed)
            {
                // Its rows stopped because pg_restore could not read on (a damaged block, say): that is the cause to name.
                throw new PgPhaseException($"{table}: pg_restore could not read the table's data in {archiveSource}: {problem}", PgRestoreOutput.CodeOf(problem), ex);
            }
            if (run.ExitCode != 0)
                throw new PgPhaseException($"{table}: pg_restore could not read the table's data in {archiveSource} (exit code {run.ExitCode}): {problem ?? string.Join(" | ", run.ErrorLines.TakeLast(3))}",
                    PgRestoreOutput.CodeOf(run.ErrorLines.Prepend(problem ?? "")));
        }, ct);

    /// <summary>Where <see cref="LoadAsync"/> reads the table's rows from, for messages.</summary>
    public static string Describe(TocEntry table, DumpArchive archive) =>
        ArchiveTableData.CanOpenRows(archive, table) ? $"{archive.Source}, decompressed by pgphase" : "pg_restore -f - " + archive.Source;

    /// <summary>
    /// Loads the table from its rows as pg_dump stored them (COPY text up to the "\." line, as in a tar archive's
    /// member), read from <paramref name="rows"/> (<paramref name="source"/> names it); returns the number of rows.
    /// </summary>
    public Task<long> LoadRowsAsync(TocEntry table, Func<Stream> rows, string source, int sessions, Action<Progress>? progress, CancellationToken ct) =>
        LoadCoreAsync(table, sessions, progress, async (chunks, report, stop) =>
        {
            await using var stream = rows();
            await SplitAsync(stream, chunks, table, rowsOnly: true, source, report, stop).ConfigureAwait(false);
        }, ct);

    /// <summary>
    /// Loads the table, measured when its late builds' sorts are still to confirm (<see cref="SortConfirmations"/>):
    /// a sort that outgrows the budget stops the load before anything commits, its index is built on the empty
    /// table, and the table loads again.
    /// </summary>
    private async Task<long> LoadCoreAsync(TocEntry table, int sessions, Action<Progress>? progress,
        Func<ChannelWriter<Chunk>, Action<long, long>, CancellationToken, Task> produce, CancellationToken ct)
    {
        while (true)
        {
            var gate = Confirmations?.GateFor(table);
            var binary = new BinaryAttempt(_textOnly.ContainsKey(table.DumpId));
            try
            {
                return await LoadOnceAsync(table, sessions, progress, produce, gate, binary, ct).ConfigureAwait(false);
            }
            catch (Exception) when (gate?.Outgrown is not null)
            {
                // Stopped by the gate, whichever way the stop surfaced (a session's cancelled COPY, pg_restore's broken pipe).
                await Confirmations!.BuildEarlyAsync(gate, ct).ConfigureAwait(false);
            }
            catch (Exception) when (binary.Refused is { } refused && !ct.IsCancellationRequested)
            {
                // Nothing committed: the sessions commit only once every row was converted.
                _debug?.Invoke($"{table.QualifiedName}: {refused.Message}; loading it again as COPY text");
                _textOnly[table.DumpId] = true;
            }
        }
    }

    /// <summary>
    /// Opens the sessions, runs <paramref name="produce"/> to cut the rows into chunks for them, and waits until every
    /// session committed. Any failure cancels the rest, and no session commits a partial COPY. With
    /// <paramref name="gate"/>, every chunk is measured before a session gets it, and the sessions may commit only
    /// once the gate confirmed the whole table.
    /// </summary>
    private async Task<long> LoadOnceAsync(TocEntry table, int sessions, Action<Progress>? progress,
        Func<ChannelWriter<Chunk>, Action<long, long>, CancellationToken, Task> produce, SortGate? gate, BinaryAttempt binary, CancellationToken ct)
    {
        gate?.ThrowIfOver();
        var copy = table.CopyStatement?.Trim() ?? throw new PgPhaseException($"{table}: the archive holds no COPY statement for this table", PgPhaseErrorCode.RestoreFailed);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var chunks = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(sessions * 2) { SingleWriter = true });
        var writers = new List<Task>();
        var connections = new List<NpgsqlConnection>();
        try
        {
            for (int i = 0; i < sessions; i++)
                connections.Add(await RestoreSession.OpenAsync(_options, inTransaction: false, stop.Token).ConfigureAwait(false));
            if (!binary.TextOnly)
            {
                (binary.Rows, var why) = await BinaryCopy.PrepareAsync(connections[0], copy, stop.Token).ConfigureAwait(false);
                _debug?.Invoke($"{table.QualifiedName}: rows sent as {(binary.Rows is null ? $"COPY text ({why})" : "COPY binary, converted here from the archive's text")}");
            }
            // One session may write the rows frozen (FrozenLoad); several cannot, as only one transaction may empty the table.
            foreach (var conn in connections)
                writers.Add(Task.Run(() => WriteAsync(conn, copy, chunks.Reader, stop, frozenIn: sessions == 1 ? table : null, binary.Rows), CancellationToken.None));

            long rows = 0;
            // Measured as text, then converted, on a thread of its own beside the reading of the rows and the server.
            var text = binary.Rows is null ? null : Channel.CreateBounded<Chunk>(new BoundedChannelOptions(2) { SingleWriter = true, SingleReader = true });
            var converting = text is null ? null : Task.Run(() => ConvertAsync(text.Reader, chunks.Writer, gate, binary, stop), CancellationToken.None);
            try
            {
                await produce(text?.Writer ?? (gate is null ? chunks.Writer : new MeasuredWriter(chunks.Writer, gate, stop)),
                    (r, b) => { rows = r; progress?.Invoke(new Progress(r, b)); }, stop.Token).ConfigureAwait(false);
                if (text is not null)
                {
                    text.Writer.TryComplete();
                    await converting!.ConfigureAwait(false);
                }
                // The sessions end their COPY (and commit) only once the channel completes: the sizes are confirmed first.
                if (gate is not null)
                    Confirmations!.Confirm(gate);
                chunks.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                text?.Writer.TryComplete(ex);
                chunks.Writer.TryComplete(ex);
                if (converting is not null)
                {
                    try
                    {
                        await converting.ConfigureAwait(false);
                    }
                    catch (Exception) when (converting.IsFaulted || converting.IsCanceled)
                    {
                        // Reported through the failure above, or the refusal the retry reads.
                    }
                }
                throw;
            }
            await Task.WhenAll(writers).ConfigureAwait(false);
            return rows;
        }
        catch (Exception ex)
        {
            stop.Cancel();
            chunks.Writer.TryComplete();
            try
            {
                await Task.WhenAll(writers).ConfigureAwait(false);
            }
            catch (Exception) when (writers.Any(w => w.IsFaulted || w.IsCanceled))
            {
                // The first failure is the one reported; the others were cancelled because of it.
            }
            // A session that failed (its backend ended, say) cancelled the reading of the rows: its failure is the one
            // to report, never the cancellation it caused, which would pass for a stop nobody asked for.
            // Task.WhenAll surfaces the first writer in list order, which may be one the stop cancelled mid-write
            // (Npgsql wraps that cancellation), so the first failure not caused by the stop is looked for among all.
            var reported = ex;
            if (CausedByStop(ex) && !ct.IsCancellationRequested &&
                writers.Where(w => w.IsFaulted).Select(w => w.Exception!.InnerException!).FirstOrDefault(e => !CausedByStop(e)) is { } failure)
                reported = failure;
            // Npgsql says "Exception while writing to stream" when a session's connection ends: the cause is inside.
            if (reported is NpgsqlException { InnerException: { } cause } and not PostgresException)
                throw PgPhaseException.Wrap($"{table}: a session loading its rows failed: {reported.Message} ({cause.Message})", reported, PgPhaseErrorCode.RestoreFailed);
            if (!ReferenceEquals(reported, ex))
                ExceptionDispatchInfo.Throw(reported);
            throw;
        }
        finally
        {
            foreach (var conn in connections)
                await conn.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// How a table's load fails when the table, not the run, is the problem (its data, the target, a session, the
    /// storage): reported as that table's failure. Anything else is a bug or a stop, and propagates.
    /// </summary>
    public static bool IsLoadFailure(Exception ex) =>
        ex is PgPhaseException p && (PgPhaseErrors.IsRestore(p.Code) || PgPhaseErrors.IsConnect(p.Code) || PgPhaseErrors.IsStorage(p.Code))
        || ex is NpgsqlException or IOException or UnauthorizedAccessException;

    private static bool CausedByStop(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
            if (e is OperationCanceledException)
                return true;
        return false;
    }

    private readonly record struct Chunk(byte[] Buffer, int Length);

    /// <summary>One load's use of COPY binary: its converter, and the value it refused, if any.</summary>
    private sealed class BinaryAttempt(bool textOnly)
    {
        public bool TextOnly { get; } = textOnly;

        public BinaryRows? Rows { get; set; }

        public PgPhaseException? Refused { get; set; }

        public long NextRow { get; set; } = 1;
    }

    /// <summary>
    /// Turns each chunk of text rows into binary tuples, in order, for the sessions. A value it does not convert stops
    /// the load before the sessions' channel completes, so no session commits, and the table loads again as text.
    /// </summary>
    private static async Task ConvertAsync(ChannelReader<Chunk> text, ChannelWriter<Chunk> binary, SortGate? gate, BinaryAttempt attempt, CancellationTokenSource stop)
    {
        try
        {
            await ConvertChunksAsync(text, binary, gate, attempt, stop).ConfigureAwait(false);
        }
        catch
        {
            // Whatever ended the conversion ends the reading of the rows, which would otherwise wait for room forever.
            stop.Cancel();
            throw;
        }
    }

    private static async Task ConvertChunksAsync(ChannelReader<Chunk> text, ChannelWriter<Chunk> binary, SortGate? gate, BinaryAttempt attempt, CancellationTokenSource stop)
    {
        await foreach (var chunk in text.ReadAllAsync(stop.Token).ConfigureAwait(false))
        {
            if (gate is not null)
                Measure(gate, chunk, stop);
            var output = ArrayPool<byte>.Shared.Rent(chunk.Length * 2 + 64 * 1024);
            int length;
            try
            {
                var grown = output;
                long row = attempt.NextRow;
                length = attempt.Rows!.Convert(chunk.Buffer.AsSpan(0, chunk.Length), ref grown, 0, ref row);
                attempt.NextRow = row;
                if (!ReferenceEquals(grown, output))
                {
                    // Grown past the rented array: copied into a rented one, which the session returns.
                    ArrayPool<byte>.Shared.Return(output);
                    output = ArrayPool<byte>.Shared.Rent(length);
                    grown.AsSpan(0, length).CopyTo(output);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A value it cannot take (or a range it did not foresee) loads the table as text, never as a failure.
                attempt.Refused = ex as PgPhaseException ?? new PgPhaseException(ex.Message, PgPhaseErrorCode.RestoreFailed, ex);
                ArrayPool<byte>.Shared.Return(output);
                throw attempt.Refused;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk.Buffer);
            }
            await binary.WriteAsync(new Chunk(output, length), stop.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Measures each chunk before it reaches a session, and stops the rows once a sort is past the budget.</summary>
    private sealed class MeasuredWriter(ChannelWriter<Chunk> inner, SortGate gate, CancellationTokenSource stop) : ChannelWriter<Chunk>
    {
        public override bool TryWrite(Chunk item) => throw new NotSupportedException("measured chunks are written with WriteAsync");

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => inner.WaitToWriteAsync(cancellationToken);

        public override bool TryComplete(Exception? error = null) => inner.TryComplete(error);

        public override ValueTask WriteAsync(Chunk item, CancellationToken cancellationToken = default)
        {
            Measure(gate, item, stop);
            return inner.WriteAsync(item, cancellationToken);
        }
    }

    private static void Measure(SortGate gate, Chunk chunk, CancellationTokenSource stop)
    {
        gate.Feed(chunk.Buffer.AsSpan(0, chunk.Length));
        try
        {
            gate.ThrowIfOver();
        }
        catch (PgPhaseException)
        {
            // Whatever else the load waits on (a pg_restore fed through its standard input) stops with it.
            stop.Cancel();
            throw;
        }
    }

    /// <summary>
    /// One session: its own COPY, fed chunk after chunk, committed when the rows run out. With
    /// <paramref name="frozenIn"/>, the session is the table's only one, and writes the rows frozen when that loses nothing.
    /// </summary>
    private async Task WriteAsync(NpgsqlConnection conn, string copy, ChannelReader<Chunk> chunks, CancellationTokenSource stop, TocEntry? frozenIn, BinaryRows? binary)
    {
        NpgsqlTransaction? transaction = null;
        Stream raw;
        Func<Task> cancel;
        try
        {
            bool frozen = false;
            if (frozenIn is not null && FrozenLoad.TargetOf(copy) is { } target)
            {
                transaction = await conn.BeginTransactionAsync(stop.Token).ConfigureAwait(false);
                var notFrozen = await FrozenLoad.PrepareAsync(conn, target, stop.Token).ConfigureAwait(false);
                _debug?.Invoke(notFrozen is null ? $"{frozenIn.QualifiedName}: emptied and loaded frozen in one transaction"
                    : $"{frozenIn.QualifiedName}: loaded with a plain COPY, not frozen: {notFrozen}");
                frozen = notFrozen is null;
            }
            if (binary is not null)
            {
                var stream = await conn.BeginRawBinaryCopyAsync(BinaryCopy.Statement(copy, binary: true, frozen), stop.Token).ConfigureAwait(false);
                await stream.WriteAsync(BinaryRows.Header.ToArray(), stop.Token).ConfigureAwait(false);
                (raw, cancel) = (stream, () => stream.CancelAsync());
            }
            else
            {
                var writer = (NpgsqlCopyTextWriter)await conn.BeginTextImportAsync(BinaryCopy.Statement(copy, binary: false, frozen), stop.Token).ConfigureAwait(false);
                // The rows are already in COPY text format: they go to the server byte for byte, never decoded.
                (raw, cancel) = (writer.BaseStream, () => writer.CancelAsync());
            }
        }
        catch
        {
            // A COPY the server refused (no such table, no permission) stops the rows' reader too, which would
            // otherwise wait forever for room in the channel no session drains.
            stop.Cancel();
            await DisposeQuietlyAsync(transaction).ConfigureAwait(false);
            throw;
        }
        try
        {
            await foreach (var chunk in chunks.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await raw.WriteAsync(chunk.Buffer.AsMemory(0, chunk.Length), stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(chunk.Buffer);
                }
            }
            if (binary is not null)
                await raw.WriteAsync(BinaryRows.Trailer.ToArray(), stop.Token).ConfigureAwait(false);
            await raw.DisposeAsync().ConfigureAwait(false);
            if (transaction is not null)
                await transaction.CommitAsync(stop.Token).ConfigureAwait(false);
        }
        catch
        {
            stop.Cancel();
            try
            {
                // Cancelled, not committed: a partial COPY must not become rows.
                await cancel().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or OperationCanceledException)
            {
            }
            throw;
        }
        finally
        {
            await DisposeQuietlyAsync(transaction).ConfigureAwait(false);
        }
    }

    /// <summary>Rolls back a transaction that did not commit; a connection already broken has nothing left to roll back.</summary>
    private static async Task DisposeQuietlyAsync(NpgsqlTransaction? transaction)
    {
        if (transaction is null)
            return;
        try
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or OperationCanceledException)
        {
        }
    }

    private static bool IsCopyLine(ReadOnlySpan<byte> line) => line.StartsWith("COPY "u8) && line.TrimEnd("\r\n"u8).EndsWith(" FROM stdin;"u8);

    private static bool IsEndOfData(ReadOnlySpan<byte> line) => line.SequenceEqual("\\.\n"u8);

    /// <summary>
    /// Reads pg_restore's script, skipping to the table's COPY line (or, <paramref name="rowsOnly"/>, rows from the
    /// start), then cuts the rows into chunks of whole lines until the "\." that ends them. Reports rows and bytes
    /// as it goes.
    /// </summary>
    private static async Task SplitAsync(Stream script, ChannelWriter<Chunk> chunks, TocEntry table, bool rowsOnly, string source,
        Action<long, long> progress, CancellationToken ct)
    {
        var input = new byte[ChunkSize];
        int filled = 0;
        bool inData = rowsOnly, ended = false;
        long rows = 0, bytes = 0;
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkSize + 64 * 1024);
        int chunkLength = 0;
        try
        {
            while (!ended)
            {
                if (filled == input.Length)
                    Array.Resize(ref input, input.Length * 2); // a single row longer than the buffer
                int read = await script.ReadAsync(input.AsMemory(filled), ct).ConfigureAwait(false);
                if (read == 0)
                    break;
                filled += read;
                int start = 0;
                while (!ended)
                {
                    int nl = Array.IndexOf(input, (byte)'\n', start, filled - start);
                    if (nl < 0)
                        break;
                    int length = nl - start + 1;
                    if (!inData)
                        inData = IsCopyLine(input.AsSpan(start, length));
                    else if (IsEndOfData(input.AsSpan(start, length)))
                        ended = true;
                    else
                    {
                        if (chunkLength + length > chunk.Length)
                        {
                            await chunks.WriteAsync(new Chunk(chunk, chunkLength), ct).ConfigureAwait(false);
                            progress(rows, bytes);
                            chunk = ArrayPool<byte>.Shared.Rent(Math.Max(ChunkSize + 64 * 1024, length));
                            chunkLength = 0;
                        }
                        Buffer.BlockCopy(input, start, chunk, chunkLength, length);
                        chunkLength += length;
                        rows++;
                        bytes += length;
                    }
                    start = nl + 1;
                }
                Buffer.BlockCopy(input, start, input, 0, filled - start);
                filled -= start;
            }
            if (!ended)
                throw new PgPhaseException($"{table}: {source} ended before the end of the table's rows (no \\. line after {rows} rows)", PgPhaseErrorCode.RestoreFailed);
            if (chunkLength > 0)
                await chunks.WriteAsync(new Chunk(chunk, chunkLength), ct).ConfigureAwait(false);
            else
                ArrayPool<byte>.Shared.Return(chunk);
            chunk = null!;
            progress(rows, bytes);
            // Drain what follows the rows (comments), so pg_restore exits normally.
            while (await script.ReadAsync(input, ct).ConfigureAwait(false) > 0)
            {
            }
        }
        catch
        {
            if (chunk is not null)
                ArrayPool<byte>.Shared.Return(chunk);
            throw;
        }
    }
}
