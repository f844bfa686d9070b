using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>What a backup store holds once pg_dump finished: size, digest, upload parts, a folder's files and the data block map.</summary>
internal sealed record StoredArchive(long Size, string Sha256, int Parts, IReadOnlyList<ArchiveFile> Files, ArchiveBlockMap? Blocks = null);
