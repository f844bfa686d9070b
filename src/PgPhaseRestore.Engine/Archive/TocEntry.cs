namespace PgPhaseRestore.Engine.Archive;

/// <summary>One entry of an archive's table of contents, with every field pg_dump wrote.</summary>
public sealed class TocEntry
{
    public required int DumpId { get; init; }
    public required bool HadDumper { get; init; }
    public required uint TableOid { get; init; }
    public required uint Oid { get; init; }

    /// <summary>pg_dump's "desc": TABLE, INDEX, CONSTRAINT, TABLE DATA, COMMENT...</summary>
    public required string Type { get; init; }

    /// <summary>pg_dump's "tag": the object's name (for comments and ACLs, "INDEX name" and the like).</summary>
    public required string? Name { get; init; }

    public required TocSection Section { get; init; }
    public required string? Schema { get; init; }
    public required string? Owner { get; init; }
    public required string? Tablespace { get; init; }
    public required string? TableAccessMethod { get; init; }

    /// <summary>pg_class.relkind ('r', 'p', 'i'...), recorded from archive 1.16 on.</summary>
    public required char? RelKind { get; init; }

    public required string? Definition { get; init; }
    public required string? DropStatement { get; init; }
    public required string? CopyStatement { get; init; }
    public required IReadOnlyList<int> Dependencies { get; init; }
    public required DataState DataState { get; init; }

    /// <summary>Custom format: byte offset of the data block when known.</summary>
    public required long? DataOffset { get; init; }

    /// <summary>Directory and tar formats: the member file named in the TOC (before any compression suffix).</summary>
    public required string? DataFile { get; init; }

    /// <summary>ENCODING, STDSTRINGS and SEARCHPATH: applied by pg_restore itself, never listed by `pg_restore -l`.</summary>
    public bool IsSpecial => Type is "ENCODING" or "STDSTRINGS" or "SEARCHPATH";

    /// <summary>"schema.name" or just the name, for messages.</summary>
    public string QualifiedName => string.IsNullOrEmpty(Schema) ? Name ?? "" : $"{Schema}.{Name}";

    public override string ToString() => $"{DumpId}; {Type} {QualifiedName}";
}
