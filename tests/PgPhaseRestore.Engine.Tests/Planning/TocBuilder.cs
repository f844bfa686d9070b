using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Tests.Planning;

/// <summary>Builds in-memory TOCs for planner tests, entry by entry, in pg_dump's order.</summary>
public sealed class TocBuilder
{
    private readonly List<TocEntry> _entries = [];
    private int _nextId = 100;

    public ArchiveVersion Version { get; init; } = ArchiveVersion.V1_16;

    public int Add(string type, TocSection section, string? name, string? definition = null, int[]? deps = null,
        string? schema = "public", bool hadDumper = false, char? relKind = null)
    {
        int id = _nextId++;
        _entries.Add(new TocEntry
        {
            DumpId = id, HadDumper = hadDumper, TableOid = 0, Oid = 0, Type = type, Name = name, Section = section,
            Schema = schema, Owner = "owner", Tablespace = "", TableAccessMethod = null, RelKind = relKind,
            Definition = definition ?? (hadDumper ? "" : $"-- {type} {name};\n"), DropStatement = "", CopyStatement = null,
            Dependencies = deps ?? [], DataState = hadDumper ? DataState.Offset : DataState.None,
            DataOffset = hadDumper ? 1000 + id : null, DataFile = null,
        });
        return id;
    }

    public DumpArchive Build()
    {
        var header = new ArchiveHeader
        {
            Format = ArchiveFormat.Custom, Version = Version, IntSize = 4, OffsetSize = 8,
            Compression = CompressionAlgorithm.None, CreatedAt = new DateTime(2026, 1, 1),
            DatabaseName = "db", ServerVersion = "18.0", PgDumpVersion = "18.0",
        };
        return new DumpArchive("crafted.dump", header, _entries.ToList(), 0);
    }
}
