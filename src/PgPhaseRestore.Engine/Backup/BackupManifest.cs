using System.Text.Json.Serialization;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>
/// The record written beside a backup once it is complete and verified: its presence is what marks a backup
/// as complete. It describes the archive (size, SHA-256, TOC summary) and the source as it was at backup time
/// (server, versions, and per table and index the sizes and row estimates later planning can use).
/// </summary>
public sealed class BackupManifest
{
    internal const int CurrentVersion = 1;
    internal const string Suffix = ".manifest.json";

    /// <summary>The manifest's own format version.</summary>
    public int ManifestVersion { get; init; } = CurrentVersion;

    /// <summary>Where the archive is (set from the manifest's own location when read).</summary>
    public string Location { get; set; } = "";

    /// <summary>The database that was backed up.</summary>
    public string Database { get; init; } = "";

    /// <summary>The source server, host:port.</summary>
    public string Server { get; init; } = "";

    /// <summary>The role the backup connected as.</summary>
    public string? User { get; init; }

    /// <summary>The source server's version, as it reported it.</summary>
    public string ServerVersion { get; init; } = "";

    /// <summary>The source server's version as a number (server_version_num).</summary>
    public int ServerVersionNum { get; init; }

    /// <summary>The version of the pg_dump that wrote the archive.</summary>
    public string PgDumpVersion { get; init; } = "";

    /// <summary>Custom (one file or object) or directory (a folder).</summary>
    public BackupFormat Format { get; init; }

    /// <summary>pg_dump's -Z argument, when one was given.</summary>
    public string? Compression { get; init; }

    /// <summary>The archive's size in bytes, as stored.</summary>
    public long Size { get; init; }

    /// <summary>The archive's SHA-256, hex; for a directory backup, of the list of its files' sums in name order (as sha256sum prints it).</summary>
    public string Sha256 { get; init; } = "";

    /// <summary>Multipart-upload parts (objects in a bucket).</summary>
    public int Parts { get; init; }

    /// <summary>When the backup started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When the backup was complete and verified.</summary>
    public DateTimeOffset CompletedAt { get; init; }

    /// <summary>How long the backup took.</summary>
    public TimeSpan Duration => CompletedAt - StartedAt;

    /// <summary>The database's size on the source at backup time.</summary>
    public long DatabaseSize { get; init; }

    /// <summary>The pg_dump selection the backup was made with.</summary>
    public BackupFilters Filters { get; init; } = new();

    /// <summary>What the archive's table of contents holds.</summary>
    public TocSummary Toc { get; init; } = new();

    /// <summary>Tables and materialized views with their sizes and row estimates.</summary>
    public IReadOnlyList<TableStats> Tables { get; init; } = [];

    /// <summary>Indexes with their sizes, for the Auto strategy's planning.</summary>
    public IReadOnlyList<IndexStats> Indexes { get; init; } = [];

    /// <summary>Files of a directory-format backup, each with its size and SHA-256.</summary>
    public IReadOnlyList<ArchiveFile> Files { get; init; } = [];

    /// <summary>
    /// An object in a bucket: where its TOC ends and each data block lies, with their SHA-256s, recorded while the
    /// dump streamed, so that a restore can fetch tables one by one. Null for older backups and for a stream whose
    /// layout the scanner did not understand.
    /// </summary>
    [JsonInclude]
    internal Archive.ArchiveBlockMap? DataBlocks { get; init; }

    /// <summary>Where the manifest itself is: beside the archive, with .manifest.json appended.</summary>
    [JsonIgnore]
    public string ManifestLocation => ManifestLocationFor(Location);

    internal static string ManifestLocationFor(string archiveLocation) => archiveLocation.TrimEnd('/', Path.DirectorySeparatorChar) + Suffix;

    /// <summary>Database, completion time, size and location on one line.</summary>
    public override string ToString() => $"{Database} {CompletedAt:u} {Storage.SizeText.Format(Size)} {Location}";
}
