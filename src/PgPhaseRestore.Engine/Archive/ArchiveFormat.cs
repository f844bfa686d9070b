namespace PgPhaseRestore.Engine.Archive;

/// <summary>The container pg_dump wrote. Values are pg_dump's own format codes.</summary>
public enum ArchiveFormat
{
    /// <summary>One file, written by pg_dump -Fc: TOC at the front, data blocks after it.</summary>
    Custom = 1,

    /// <summary>A tar file with toc.dat first and one member per data block (pg_dump -Ft).</summary>
    Tar = 3,

    /// <summary>A folder with toc.dat and one file per data block (pg_dump -Fd).</summary>
    Directory = 5,
}
