namespace PgPhaseRestore.Engine.Archive;

/// <summary>pg_dump's section of a TOC entry. "None" entries (comments, ACLs...) follow their object.</summary>
public enum TocSection
{
    None = 1,
    PreData = 2,
    Data = 3,
    PostData = 4,
}
