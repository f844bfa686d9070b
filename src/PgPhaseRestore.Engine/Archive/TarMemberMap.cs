namespace PgPhaseRestore.Engine.Archive;

/// <summary>One member of a tar archive: where its bytes start and how many there are.</summary>
internal sealed record TarMember(string Name, long Offset, long Size);

/// <summary>
/// Where each member of a local tar archive lies, from its headers alone: each header gives the size of the
/// member after it, so the map seeks from header to header and reads 512 bytes per member, however big the
/// members are. With it, each table's rows (pg_dump stores them as COPY text, uncompressed) are read from their
/// own offset, several tables at once.
/// </summary>
internal sealed class TarMemberMap
{
    private readonly Dictionary<string, TarMember> _members;

    private TarMemberMap(string path, Dictionary<string, TarMember> members)
    {
        Path = path;
        _members = members;
    }

    /// <summary>The archive.</summary>
    public string Path { get; }

    public IReadOnlyCollection<TarMember> Members => _members.Values;

    public TarMember? Find(string name) => _members.GetValueOrDefault(name);

    /// <summary>Reads the headers of the tar archive at <paramref name="path"/>; throws naming the offset of a damaged one.</summary>
    public static async Task<TarMemberMap> ReadAsync(string path, CancellationToken ct)
    {
        var members = new Dictionary<string, TarMember>(StringComparer.Ordinal);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, TarHeader.BlockSize, useAsync: true);
        long length = file.Length;
        var block = new byte[TarHeader.BlockSize];
        long at = 0;
        while (true)
        {
            file.Seek(at, SeekOrigin.Begin);
            int got = await ReadBlockAsync(file, block, ct).ConfigureAwait(false);
            // pg_dump ends its archives with zero blocks; an archive cut right after a member simply ends.
            if (got == 0 || (got == TarHeader.BlockSize && TarHeader.IsEnd(block)))
                break;
            if (got < TarHeader.BlockSize)
                throw PgPhaseException.Format(path, at, $"the tar archive is truncated: a member header needs {TarHeader.BlockSize} bytes, only {got} remain");
            var header = TarHeader.Parse(block, at, path);
            long data = at + TarHeader.BlockSize;
            if (data + header.Size > length)
                throw PgPhaseException.Format(path, at + 124, $"the tar archive is truncated: member {header.Name} holds {header.Size} bytes from offset {data}, but the file ends at {length}");
            members[header.Name] = new TarMember(header.Name, data, header.Size);
            at = TarHeader.Next(at, header.Size);
        }
        return new TarMemberMap(path, members);
    }

    /// <summary>The member holding each table's rows, by dump id; throws naming the entry whose member is missing.</summary>
    public Dictionary<int, TarMember> TableData(DumpArchive archive)
    {
        var byId = new Dictionary<int, TarMember>();
        foreach (var entry in archive.Entries.Where(e => e.Type == "TABLE DATA" && e.DataFile is not null))
        {
            byId[entry.DumpId] = Find(entry.DataFile!)
                ?? throw PgPhaseException.Format(Path, 0, $"the tar archive has no member {entry.DataFile} for the data of {entry.Type} {entry.QualifiedName} (dump id {entry.DumpId})");
        }
        return byId;
    }

    /// <summary>
    /// The large objects' members, when the archive has them: blobs.toc, every object it lists, every object the
    /// TOC has; throws naming what is missing (an archive cut between members looks whole otherwise).
    /// </summary>
    public void CheckLargeObjects(DumpArchive archive)
    {
        // pg_dump writes the objects' members, then blobs.toc (the BLOBS entry's own file name names no member).
        foreach (var blobs in archive.Entries.Where(e => e.Type == "BLOBS"))
        {
            var toc = Find("blobs.toc")
                ?? throw PgPhaseException.Format(Path, new FileInfo(Path).Length, $"the tar archive has no member blobs.toc for {blobs.Label}: it ends before its large objects do");
            using var file = File.OpenRead(Path);
            file.Seek(toc.Offset, SeekOrigin.Begin);
            using var reader = new StreamReader(new Storage.LengthLimitedStream(file, toc.Size), System.Text.Encoding.ASCII);
            var listed = Restore.LargeObjectsToc.Parse(reader.ReadToEnd().Split('\n'));
            Restore.LargeObjectsToc.RequireEvery(archive, listed, $"{Path} (member {toc.Name})", toc.Offset);
            foreach (var (oid, name) in listed)
            {
                if (Find(name) is null)
                    throw PgPhaseException.Format(Path, new FileInfo(Path).Length, $"the tar archive has no member {name} for large object {oid}: it ends before it");
            }
        }
    }

    private static async Task<int> ReadBlockAsync(FileStream file, byte[] block, CancellationToken ct)
    {
        int total = 0;
        while (total < block.Length)
        {
            int n = await file.ReadAsync(block.AsMemory(total), ct).ConfigureAwait(false);
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }
}
