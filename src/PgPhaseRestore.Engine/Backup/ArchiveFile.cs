namespace PgPhaseRestore.Engine.Backup;

/// <summary>One file of a directory-format archive.</summary>
/// <param name="Name">The file's name in the folder.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Sha256">Its SHA-256, hex.</param>
public sealed record ArchiveFile(string Name, long Size, string Sha256);
