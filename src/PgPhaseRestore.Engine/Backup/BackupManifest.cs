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

    public int ManifestVersion { get; init; } = CurrentVersion;

    /// <summary>Where the archive is (set from the manifest's own location when read).</summary>
    public string Location { get; set; } = "";

    public string Database { get; init; } = "";
    public string Server { get; init; } = "";
    public string? User { get; init; }
    public string ServerVersion { get; init; } = "";
    public int ServerVersionNum { get; init; }
    public string PgDumpVersion { get; init; } = "";
    public BackupFormat Format { get; init; }
    public string? Compression { get; init; }
    public long Size { get; init; }
    public string Sha256 { get; init; } = "";

    /// <summary>Multipart-upload parts (objects in a bucket).</summary>
    public int Parts { get; init; }

    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset CompletedAt { get; init; }
    public TimeSpan Duration => CompletedAt - StartedAt;
    public long DatabaseSize { get; init; }
    public BackupFilters Filters { get; init; } = new();
    public TocSummary Toc { get; init; } = new();
    public IReadOnlyList<TableStats> Tables { get; init; } = [];
    public IReadOnlyList<IndexStats> Indexes { get; init; } = [];

    /// <summary>Files of a directory-format backup, each with its size and SHA-256.</summary>
    public IReadOnlyList<ArchiveFile> Files { get; init; } = [];

    [JsonIgnore]
    public string ManifestLocation => ManifestLocationFor(Location);

    internal static string ManifestLocationFor(string archiveLocation) => archiveLocation.TrimEnd('/', Path.DirectorySeparatorChar) + Suffix;

    public override string ToString() => $"{Database} {CompletedAt:u} {Storage.SizeText.Format(Size)} {Location}";
}

/// <summary>The pg_dump selection the backup was made with (empty: everything).</summary>
public sealed class BackupFilters
{
    public IReadOnlyList<string> Schemas { get; init; } = [];
    public IReadOnlyList<string> ExcludeSchemas { get; init; } = [];
    public IReadOnlyList<string> Tables { get; init; } = [];
    public IReadOnlyList<string> ExcludeTables { get; init; } = [];
    public IReadOnlyList<string> ExcludeTableData { get; init; } = [];
}

/// <summary>What the archive's table of contents holds, read back from the stored archive.</summary>
public sealed class TocSummary
{
    public string ArchiveVersion { get; init; } = "";
    public int Entries { get; init; }
    public int TableData { get; init; }
    public IReadOnlyDictionary<string, int> ByType { get; init; } = new Dictionary<string, int>();
}

/// <summary>A table (or materialized view) of the source at backup time.</summary>
public sealed record TableStats(string Schema, string Name, string Kind, long TotalBytes, long TableBytes, long? RowEstimate);

/// <summary>An index of the source at backup time.</summary>
public sealed record IndexStats(string Schema, string Table, string Name, long Bytes, bool IsUnique, bool IsPrimary);

/// <summary>One file of a directory-format archive.</summary>
public sealed record ArchiveFile(string Name, long Size, string Sha256);
