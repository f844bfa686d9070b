namespace PgPhaseRestore.Engine.Archive;

/// <summary>One entry of an archive's table of contents, with every field pg_dump wrote.</summary>
public sealed class TocEntry
{
    /// <summary>pg_dump's id for the entry; dependencies and list files refer to it.</summary>
    public required int DumpId { get; init; }

    /// <summary>Whether pg_dump had a data dumper for it (TABLE DATA, BLOBS...).</summary>
    public required bool HadDumper { get; init; }

    /// <summary>The catalog the object belongs to, by OID (pg_class for relations...).</summary>
    public required uint TableOid { get; init; }

    /// <summary>The object's OID in the source database.</summary>
    public required uint Oid { get; init; }

    /// <summary>pg_dump's "desc": TABLE, INDEX, CONSTRAINT, TABLE DATA, COMMENT...</summary>
    public required string Type { get; init; }

    /// <summary>pg_dump's "tag": the object's name (for comments and ACLs, "INDEX name" and the like).</summary>
    public required string? Name { get; init; }

    /// <summary>The section: pre-data, data, post-data, or none for entries that follow their object.</summary>
    public required TocSection Section { get; init; }

    /// <summary>The object's schema, if it has one.</summary>
    public required string? Schema { get; init; }

    /// <summary>The object's owner in the source.</summary>
    public required string? Owner { get; init; }

    /// <summary>The tablespace the object was in, empty for the default.</summary>
    public required string? Tablespace { get; init; }

    /// <summary>A table's access method (heap...), from archive 1.14 on.</summary>
    public required string? TableAccessMethod { get; init; }

    /// <summary>pg_class.relkind ('r', 'p', 'i'...), recorded from archive 1.16 on.</summary>
    public required char? RelKind { get; init; }

    /// <summary>The SQL that creates the object.</summary>
    public required string? Definition { get; init; }

    /// <summary>The SQL that drops it (pg_restore --clean).</summary>
    public required string? DropStatement { get; init; }

    /// <summary>For TABLE DATA: the COPY statement its rows are loaded with.</summary>
    public required string? CopyStatement { get; init; }

    /// <summary>The dump ids of the entries it depends on.</summary>
    public required IReadOnlyList<int> Dependencies { get; init; }

    /// <summary>Where its data is: none, an offset in the file, or a member file.</summary>
    public required DataState DataState { get; init; }

    /// <summary>Custom format: byte offset of the data block when known.</summary>
    public required long? DataOffset { get; init; }

    /// <summary>Directory and tar formats: the member file named in the TOC (before any compression suffix).</summary>
    public required string? DataFile { get; init; }

    /// <summary>ENCODING, STDSTRINGS and SEARCHPATH: applied by pg_restore itself, never listed by `pg_restore -l`.</summary>
    public bool IsSpecial => Type is "ENCODING" or "STDSTRINGS" or "SEARCHPATH";

    /// <summary>"schema.name" or just the name, for messages.</summary>
    public string QualifiedName => string.IsNullOrEmpty(Schema) ? Name ?? "" : $"{Schema}.{Name}";

    /// <summary>The entry for messages: "TABLE DATA app.orders (dump id 3412)", or "BLOBS (dump id 3500)" where the tag only repeats the type.</summary>
    internal string Label => Name == Type && string.IsNullOrEmpty(Schema) ? $"{Type} (dump id {DumpId})" : $"{Type} {QualifiedName} (dump id {DumpId})";

    /// <summary>The entry as pg_restore's own errors name it: "TOC entry 3412 (INDEX app.orders_at)".</summary>
    internal string TocLabel => $"TOC entry {DumpId} ({Type} {QualifiedName})";

    /// <summary>The entry as pg_restore -l names it: dump id, type and qualified name.</summary>
    public override string ToString() => $"{DumpId}; {Type} {QualifiedName}";
}
