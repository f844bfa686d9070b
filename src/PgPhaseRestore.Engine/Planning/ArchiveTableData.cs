using System.IO.Compression;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// Streams the COPY text of chosen tables out of a local archive, decompressed on the fly and written nowhere: a
/// custom file's data blocks (zlib chunks, each length-prefixed) read in file order from the end of the TOC, a
/// directory's .dat or .dat.gz files, a tar archive's members.
/// </summary>
internal static class ArchiveTableData
{
    private const byte TableDataBlock = 1;
    private const byte LargeObjectBlock = 3;

    /// <summary>Why the archive's data cannot be streamed here, or null.</summary>
    public static string? Unreadable(DumpArchive archive) => archive.Format switch
    {
        _ when !File.Exists(archive.Source) && !Directory.Exists(archive.Source) => "the archive is not a local file or directory",
        ArchiveFormat.Custom or ArchiveFormat.Directory when archive.Header.Compression is not (CompressionAlgorithm.None or CompressionAlgorithm.Gzip) =>
            $"its data is compressed with {archive.Header.Compression}, which this scan does not read",
        ArchiveFormat.Custom or ArchiveFormat.Directory or ArchiveFormat.Tar => null,
        _ => $"a {archive.Format} archive has no data blocks to scan",
    };

    /// <summary>
    /// Calls <paramref name="read"/> with the COPY text of each entry of <paramref name="wanted"/> (dump ids) found,
    /// and the count of its stored bytes read, which knows the stored size wherever the archive tells it.
    /// </summary>
    public static async Task ForEachAsync(DumpArchive archive, IReadOnlySet<int> wanted, Action<TocEntry, Stream, StoredBytesRead> read, CancellationToken ct)
    {
        switch (archive.Format)
        {
            case ArchiveFormat.Custom:
                Custom(archive, wanted, read, ct);
                break;
            case ArchiveFormat.Directory:
                foreach (var entry in archive.Entries.Where(e => wanted.Contains(e.DumpId) && e.DataFile is not null))
                {
                    ct.ThrowIfCancellationRequested();
                    if (DirectoryDataFile.Find(archive.Source, entry.DataFile!) is not { } found)
                        continue;
                    var path = Path.Combine(archive.Source, found);
                    if (found == entry.DataFile)
                    {
                        using var file = File.OpenRead(path);
                        var stored = new StoredBytesRead(file, file.Length);
                        read(entry, stored, stored);
                    }
                    else if (found == entry.DataFile + ".gz")
                    {
                        using var file = File.OpenRead(path);
                        var stored = new StoredBytesRead(file, file.Length);
                        using var gz = new GZipStream(stored, CompressionMode.Decompress);
                        read(entry, gz, stored);
                    }
                }
                break;
            case ArchiveFormat.Tar:
                var members = (await TarMemberMap.ReadAsync(archive.Source, ct).ConfigureAwait(false)).TableData(archive);
                foreach (var entry in archive.Entries.Where(e => wanted.Contains(e.DumpId) && members.ContainsKey(e.DumpId)))
                {
                    ct.ThrowIfCancellationRequested();
                    var member = members[entry.DumpId];
                    using var file = File.OpenRead(archive.Source);
                    file.Seek(member.Offset, SeekOrigin.Begin);
                    using var data = new LengthLimitedStream(file, member.Size);
                    var stored = new StoredBytesRead(data, member.Size);
                    read(entry, stored, stored);
                }
                break;
        }
    }

    /// <summary>
    /// The COPY text of one entry's data (its rows, then pg_dump's "\." line), decompressed as it is read from where the
    /// archive keeps it: a custom file's block at the TOC's offset, or a directory's .dat or .dat.gz file. Null where
    /// this cannot read it (no offset, another compression). A damaged block fails the read naming the entry and offset.
    /// </summary>
    public static Stream? OpenRows(DumpArchive archive, TocEntry entry)
    {
        if (!CanOpenRows(archive, entry))
            return null;
        if (DirectoryFile(archive, entry) is { } found)
        {
            var path = Path.Combine(archive.Source, found);
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            Stream rows = found == entry.DataFile ? file : new GZipStream(file, CompressionMode.Decompress);
            return new DecodedRows(rows, $"{path} (the data of {entry.Label})");
        }
        var custom = new FileStream(archive.Source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            long offset = entry.DataOffset!.Value;
            custom.Seek(offset, SeekOrigin.Begin);
            var cursor = new ArchiveCursor(custom, archive.Source, offset) { IntSize = archive.Header.IntSize, OffsetSize = archive.Header.OffsetSize, Context = $"the data of {entry.Label}" };
            byte type;
            int dumpId;
            try
            {
                type = cursor.ReadByte("data block type");
                dumpId = cursor.ReadInt32("data block dump id");
            }
            catch (PgPhaseException ex) when (ex.Code == PgPhaseErrorCode.NotAnArchive)
            {
                throw new PgPhaseException(ex.Message, PgPhaseErrorCode.DamagedArchive, ex);
            }
            if (type != TableDataBlock || dumpId != entry.DumpId)
                throw new PgPhaseException($"{archive.Source}: the TOC says the data of {entry.Label} starts at byte {offset}, but a block of type {type} " +
                                           $"for dump id {dumpId} is there; the archive is damaged", PgPhaseErrorCode.DamagedArchive);
            Stream chunks = new ChunkStream(custom, cursor);
            Stream rows = archive.Header.Compression == CompressionAlgorithm.Gzip ? new ZLibStream(chunks, CompressionMode.Decompress) : chunks;
            return new DecodedRows(rows, $"{archive.Source}: the data of {entry.Label} (block at byte {offset})", custom);
        }
        catch
        {
            custom.Dispose();
            throw;
        }
    }

    /// <summary>Whether <see cref="OpenRows"/> reads the entry's data: a custom file's block with its offset, or a directory's file.</summary>
    public static bool CanOpenRows(DumpArchive archive, TocEntry entry) => Unreadable(archive) is null && archive.Format switch
    {
        ArchiveFormat.Directory => DirectoryFile(archive, entry) is not null,
        ArchiveFormat.Custom => entry.DataOffset is > 0 && File.Exists(archive.Source),
        _ => false,
    };

    /// <summary>A directory archive's data file of the entry, plain or gzip (another compression is pg_restore's to read); else null.</summary>
    private static string? DirectoryFile(DumpArchive archive, TocEntry entry) =>
        archive.Format == ArchiveFormat.Directory && entry.DataFile is { } name && DirectoryDataFile.Find(archive.Source, name) is { } found
        && (found == name || found == name + ".gz") ? found : null;

    /// <summary>Rows being decompressed: a stream that does not inflate is a damaged archive, said with where its data lies.</summary>
    private sealed class DecodedRows(Stream inner, string where, Stream? file = null) : ForwardReadStream
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (InvalidDataException ex)
            {
                throw new PgPhaseException($"{where} cannot be decompressed ({ex.Message}); the archive is damaged", PgPhaseErrorCode.DamagedArchive, ex);
            }
            catch (PgPhaseException ex) when (ex.Code == PgPhaseErrorCode.NotAnArchive)
            {
                // A chunk's length that leads past the file's end: the table's data is damaged, not the whole archive unreadable.
                throw new PgPhaseException($"{where}: {ex.Message}", PgPhaseErrorCode.DamagedArchive, ex);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                file?.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>The data blocks lie back to back after the TOC (with or without offsets in it): each is walked, unwanted chunks sought over.</summary>
    private static void Custom(DumpArchive archive, IReadOnlySet<int> wanted, Action<TocEntry, Stream, StoredBytesRead> read, CancellationToken ct)
    {
        using var file = new FileStream(archive.Source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        file.Seek(archive.TocEndOffset, SeekOrigin.Begin);
        var cursor = new ArchiveCursor(file, archive.Source, archive.TocEndOffset) { IntSize = archive.Header.IntSize, OffsetSize = archive.Header.OffsetSize };
        // Each block's stored size, from the TOC's offsets (none in a file written to a pipe): how far a scan is into it.
        var blockSizes = Restore.DataLoad.SplitTableChoice.DataSizes(archive);
        int left = wanted.Count;
        while (left > 0 && file.Position < file.Length)
        {
            ct.ThrowIfCancellationRequested();
            cursor.Resync(file.Position);
            cursor.Context = "a data block's header";
            byte type = cursor.ReadByte("data block type");
            int dumpId = cursor.ReadInt32("data block dump id");
            cursor.Context = archive.FindByDumpId(dumpId) is { } block ? $"the data of {block.Label}" : $"the data block of dump id {dumpId}";
            if (type == TableDataBlock && wanted.Contains(dumpId) && archive.FindByDumpId(dumpId) is { } entry)
            {
                using var chunks = new ChunkStream(file, cursor);
                var stored = new StoredBytesRead(chunks, blockSizes.TryGetValue(entry.DumpId, out long size) ? size : null);
                using Stream text = archive.Header.Compression == CompressionAlgorithm.Gzip ? new ZLibStream(stored, CompressionMode.Decompress, leaveOpen: true) : stored;
                read(entry, text, stored);
                chunks.SkipRest();
                left--;
            }
            else if (type == TableDataBlock)
            {
                new ChunkStream(file, cursor).SkipRest();
            }
            else if (type == LargeObjectBlock)
            {
                while (cursor.ReadInt("large object OID") != 0)
                    new ChunkStream(file, cursor).SkipRest();
            }
            else
            {
                return; // not a layout this walk knows: the tables left get no estimate
            }
        }
    }

    /// <summary>The chunks of one block as one stream: an Int length, that many bytes, ... a zero length.</summary>
    private sealed class ChunkStream(FileStream file, ArchiveCursor cursor) : ForwardReadStream
    {
        private long _left;
        private bool _done;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (!_done && _left == 0)
            {
                cursor.Resync(file.Position);
                _left = cursor.ReadInt("data chunk length");
                _done = _left <= 0;
            }
            if (_done || buffer.Length == 0)
                return 0;
            int n = file.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            if (n == 0)
                throw cursor.Error("archive is truncated inside a data chunk", file.Position);
            _left -= n;
            return n;
        }

        /// <summary>Seeks over what is left of the block.</summary>
        public void SkipRest()
        {
            while (!_done)
            {
                file.Seek(_left, SeekOrigin.Current);
                cursor.Resync(file.Position);
                _left = cursor.ReadInt("data chunk length");
                _done = _left <= 0;
            }
        }
    }
}
