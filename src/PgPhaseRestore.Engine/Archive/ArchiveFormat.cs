namespace PgPhaseRestore.Engine.Archive;

/// <summary>The container pg_dump wrote. Values are pg_dump's own format codes.</summary>
public enum ArchiveFormat
{
    Custom = 1,
    Tar = 3,
    Directory = 5,
}
