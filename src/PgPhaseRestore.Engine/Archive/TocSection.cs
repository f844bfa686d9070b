namespace PgPhaseRestore.Engine.Archive;

/// <summary>pg_dump's section of a TOC entry. "None" entries (comments, ACLs...) follow their object.</summary>
public enum TocSection
{
    /// <summary>Follows its object wherever that goes: comments, ACLs, security labels.</summary>
    None = 1,

    /// <summary>Created before the data: types, tables, functions, sequences.</summary>
    PreData = 2,

    /// <summary>Table data, large objects, sequence values.</summary>
    Data = 3,

    /// <summary>Built after the data: indexes, constraints, triggers, rules, policies.</summary>
    PostData = 4,
}
