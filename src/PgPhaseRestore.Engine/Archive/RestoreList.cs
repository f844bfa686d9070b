using System.Globalization;
using System.Text;

namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// Writes pg_restore list files: byte for byte what `pg_restore -l` prints on the same machine (header comments,
/// creation time in the local zone, entry lines in the same order), so the two can be diffed, and so that any
/// subset can be fed back to `pg_restore -L`.
/// </summary>
public static class RestoreList
{
    /// <summary>
    /// Whether `pg_restore -l` (no other options) lists an entry. Mirrors pg_restore's own rule: special entries
    /// and database-level entries are applied by pg_restore itself, and an entry with neither a definition nor
    /// data has nothing to restore.
    /// </summary>
    internal static bool IsListedByPgRestore(TocEntry entry)
    {
        if (entry.IsSpecial)
            return false;
        if (entry.Type is "DATABASE" or "DATABASE PROPERTIES")
            return false;
        if (entry.Type is "ACL" or "COMMENT" or "SECURITY LABEL" && entry.Name?.StartsWith("DATABASE ", StringComparison.Ordinal) == true)
            return false;
        if (entry.Type == "<Init>" && entry.Name == "Max OID")
            return false;

        // An entry with a data dumper always has data; without one, only a few types count as data;
        // and with no definition there is no schema part. Nothing of either: nothing to list.
        return entry.HadDumper || IsDataWithoutDumper(entry) || HasDefinition(entry);
    }

    private static bool HasDefinition(TocEntry e) =>
        !string.IsNullOrEmpty(e.Definition) && !e.Definition.StartsWith("-- load via partition root ", StringComparison.Ordinal);

    // SEQUENCE SET and large-object metadata have no data dumper but are data to pg_restore.
    private static bool IsDataWithoutDumper(TocEntry e) =>
        e.Type is "SEQUENCE SET" or "BLOB" or "BLOB METADATA" ||
        (e.Type is "ACL" or "COMMENT" or "SECURITY LABEL" && e.Name?.StartsWith("LARGE OBJECT", StringComparison.Ordinal) == true);

    /// <summary>One list line: "dumpId; tableoid oid type schema name owner", newlines in names folded to spaces.</summary>
    internal static string FormatLine(TocEntry entry) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{entry.DumpId}; {entry.TableOid} {entry.Oid} {entry.Type} {Sanitize(entry.Schema, "-")} {Sanitize(entry.Name, "")} {Sanitize(entry.Owner, "")}");

    /// <summary>
    /// The header comment block pg_restore prints before the entries, its creation time read in <paramref name="zone"/>
    /// as pg_restore reads it in the machine's local zone (<see cref="CreationStamp"/>).
    /// </summary>
    internal static string FormatHeader(DumpArchive archive, TimeZoneInfo zone)
    {
        var h = archive.Header;
        var sb = new StringBuilder();
        sb.Append(";\n");
        var created = CreationStamp.Format(h.CreatedFields ?? ArchiveCreationTime.FromWallClock(h.CreatedAt), zone);
        sb.Append(CultureInfo.InvariantCulture, $"; Archive created at {created}\n");
        sb.Append(CultureInfo.InvariantCulture, $";     dbname: {Sanitize(h.DatabaseName, "")}\n");
        sb.Append(CultureInfo.InvariantCulture, $";     TOC Entries: {archive.Entries.Count}\n");
        var compression = h.CompressionLevel is { } level
            ? level.ToString(CultureInfo.InvariantCulture)
            : h.Compression.ToString().ToLowerInvariant();
        sb.Append(CultureInfo.InvariantCulture, $";     Compression: {compression}\n");
        sb.Append(CultureInfo.InvariantCulture, $";     Dump Version: {h.Version}\n");
        sb.Append(CultureInfo.InvariantCulture, $";     Format: {h.Format.ToString().ToUpperInvariant()}\n");
        sb.Append(CultureInfo.InvariantCulture, $";     Integer: {h.IntSize} bytes\n");
        sb.Append(CultureInfo.InvariantCulture, $";     Offset: {h.OffsetSize} bytes\n");
        if (h.ServerVersion is not null)
            sb.Append(CultureInfo.InvariantCulture, $";     Dumped from database version: {h.ServerVersion}\n");
        if (h.PgDumpVersion is not null)
            sb.Append(CultureInfo.InvariantCulture, $";     Dumped by pg_dump version: {h.PgDumpVersion}\n");
        sb.Append(";\n;\n; Selected TOC Entries:\n;\n");
        return sb.ToString();
    }

    /// <summary>Every line `pg_restore -l` would print for the whole archive, on this machine (its local time zone).</summary>
    public static string Format(DumpArchive archive) => Format(archive, TimeZoneInfo.Local);

    /// <summary>Every line `pg_restore -l` would print for the whole archive in <paramref name="zone"/>.</summary>
    internal static string Format(DumpArchive archive, TimeZoneInfo zone) => Format(archive, archive.Entries.Where(IsListedByPgRestore), zone);

    /// <summary>A list file of chosen entries, in the order given (pg_restore -L restores in list order).</summary>
    public static string Format(DumpArchive archive, IEnumerable<TocEntry> entries) => Format(archive, entries, TimeZoneInfo.Local);

    private static string Format(DumpArchive archive, IEnumerable<TocEntry> entries, TimeZoneInfo zone)
    {
        var sb = new StringBuilder(FormatHeader(archive, zone));
        foreach (var entry in entries)
            sb.Append(FormatLine(entry)).Append('\n');
        return sb.ToString();
    }

    private static string Sanitize(string? value, string whenNull) =>
        value is null ? whenNull : value.Replace('\n', ' ').Replace('\r', ' ');
}
