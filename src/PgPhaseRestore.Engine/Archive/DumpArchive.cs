using System.Text.Json.Serialization;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Archive;

/// <summary>An archive's header and table of contents, read from a file, a directory or an object.</summary>
public sealed class DumpArchive
{
    private readonly Dictionary<int, TocEntry> _byId;

    internal DumpArchive(string source, ArchiveHeader header, IReadOnlyList<TocEntry> entries, long tocEndOffset)
    {
        Source = source;
        Header = header;
        Entries = entries;
        TocEndOffset = tocEndOffset;
        _byId = new Dictionary<int, TocEntry>(entries.Count);
        foreach (var entry in entries)
        {
            // pg_dump never writes a dump id twice; a duplicate means a damaged TOC.
            if (!_byId.TryAdd(entry.DumpId, entry))
                throw PgPhaseException.Format(source, null, $"dump id {entry.DumpId} appears twice in the TOC");
        }
    }

    /// <summary>Where the archive was read from: a path or an s3:// URI. Binds as -Path downstream.</summary>
    public string Source { get; }

    /// <summary>
    /// How to reach the archive again with the settings the host resolved: the one place the engine turns an
    /// archive back into a location, so every later read goes where the first one did.
    /// </summary>
    internal ArchiveLocation LocationWith(S3Settings storage) => new(Source, storage);

    /// <summary>Header and entries, every field, as indented JSON with enums by name.</summary>
    public string ToJson() => Serialization.EngineJson.Serialize(this, Serialization.EngineJson.Named);

    /// <summary>The archive header: format, version, compression, when and from which server.</summary>
    public ArchiveHeader Header { get; }

    /// <summary>Every TOC entry, in the order pg_dump wrote them.</summary>
    public IReadOnlyList<TocEntry> Entries { get; }

    /// <summary>Byte offset just past the TOC in the file that holds it (the archive, or toc.dat).</summary>
    public long TocEndOffset { get; }

    /// <summary>
    /// A table whose data a read of this archive found damaged (a block that does not decompress), with what was
    /// found: set by Auto's scan while planning, so that a restore of that table refuses before it creates anything.
    /// </summary>
    internal (TocEntry Entry, string Problem)? Damage { get; set; }

    /// <summary>The container pg_dump wrote (from the header).</summary>
    public ArchiveFormat Format => Header.Format;

    /// <summary>The archive version (from the header).</summary>
    public ArchiveVersion Version => Header.Version;

    /// <summary>The database that was dumped (from the header).</summary>
    public string? DatabaseName => Header.DatabaseName;

    /// <summary>When pg_dump made the archive (from the header); a column of the table view.</summary>
    [JsonIgnore]
    public DateTime CreatedAt => Header.CreatedAt;

    /// <summary>How many TOC entries the archive has; a column of the table view.</summary>
    [JsonIgnore]
    public int EntryCount => Entries.Count;

    /// <summary>The entry with this dump id, or null.</summary>
    public TocEntry? FindByDumpId(int dumpId) => _byId.GetValueOrDefault(dumpId);

    /// <summary>
    /// The archive in one line, as a phase's Archive shows it in a list: what and where, never a bare path (a string
    /// parameter given the archive itself then names no file by accident).
    /// </summary>
    public override string ToString() => $"{Format} archive of \"{DatabaseName}\", {Plural.Of(EntryCount, "entry")}: {Source}";
}
