using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// blobs.toc, the large objects' own table of contents in a directory or tar archive: one line per object, "OID
/// blob_OID.dat". pg_restore creates every large object the TOC's BLOB entries name, then fills those this file
/// lists; an object it does not list (a cut or edited file) would be restored empty, and silently.
/// </summary>
internal static class LargeObjectsToc
{
    /// <summary>The objects listed: each one's OID and its data file's name.</summary>
    public static List<(string Oid, string File)> Parse(IEnumerable<string> lines) =>
        lines.Where(l => l.Length > 0).Select(l => l.Split(' ', 2)).Where(p => p.Length == 2).Select(p => (p[0], p[1])).ToList();

    /// <summary>Throws naming the large objects the archive's TOC has and <paramref name="listed"/> leaves out.</summary>
    public static void RequireEvery(DumpArchive archive, IReadOnlyCollection<(string Oid, string File)> listed, string where, long? length)
    {
        var oids = listed.Select(l => l.Oid).ToHashSet(StringComparer.Ordinal);
        var left = archive.Entries.Where(e => e.Type == "BLOB" && e.Name is not null && !oids.Contains(e.Name)).Select(e => e.Name!).ToList();
        if (left.Count > 0)
            throw PgPhaseException.Format(where, length, $"the large objects' table of contents lists {listed.Count} of {listed.Count + left.Count} large objects; " +
                                                         $"{left.Count} {(left.Count == 1 ? "is" : "are")} missing (OID {NameList.Of(left)}), so they would be restored empty");
    }
}
