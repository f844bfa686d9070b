using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>
/// The manifest of a finished backup: the source as inspected, the dump's settings and selection, what the store
/// holds, and the table of contents and data block map as read back from it.
/// </summary>
internal static class ManifestBuilder
{
    public static BackupManifest Build(BackupDump dump, PgConnectionInfo source, string database, string location, DateTimeOffset started,
        SourceFacts facts, StoredArchive stored, DumpArchive archive)
    {
        var options = dump.Options;
        return new()
        {
            Location = location,
            Database = database,
            Server = $"{source.Host ?? "localhost"}:{source.Port}",
            User = facts.User,
            ServerVersion = facts.ServerVersion,
            ServerVersionNum = facts.ServerVersionNum,
            PgDumpVersion = dump.Tool.VersionText,
            Format = options.Format,
            Compression = options.Compression,
            Size = stored.Size,
            Sha256 = stored.Sha256,
            Parts = stored.Parts,
            StartedAt = started,
            CompletedAt = DateTimeOffset.UtcNow,
            DatabaseSize = facts.DatabaseSize,
            Filters = new BackupFilters
            {
                Schemas = options.Schemas, ExcludeSchemas = options.ExcludeSchemas, Tables = options.Tables,
                ExcludeTables = options.ExcludeTables, ExcludeTableData = [.. options.ExcludeTableData, .. dump.RowsLeftOut],
            },
            Toc = new TocSummary
            {
                ArchiveVersion = archive.Version.ToString(),
                Entries = archive.Entries.Count,
                TableData = archive.Entries.Count(e => e.Type == "TABLE DATA"),
                ByType = archive.Entries.GroupBy(e => e.Type).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            },
            Tables = facts.Tables,
            Indexes = facts.Indexes,
            Files = stored.Files,
            DataBlocks = CheckedBlocks(dump, stored, archive),
        };
    }

    /// <summary>No block map for the manifest, and why, for the debug stream.</summary>
    public static ArchiveBlockMap? NoBlocks(BackupDump dump, string? problem)
    {
        dump.Debug($"no data block map recorded ({problem}); a restore of this backup streams its data phase through one pg_restore");
        return null;
    }

    /// <summary>The block map, if it describes the archive as read back; a restore relies on it, so a doubt drops it.</summary>
    private static ArchiveBlockMap? CheckedBlocks(BackupDump dump, StoredArchive stored, DumpArchive archive)
    {
        if (stored.Blocks is not { } map)
            return null;
        if (map.Mismatch(archive, stored.Size) is { } why)
            return NoBlocks(dump, why);
        dump.Debug($"data block map recorded: {Plural.Of(map.Blocks.Count, "block")} after the TOC's {Plural.Of(map.TocEnd, "byte")}");
        return map;
    }
}
