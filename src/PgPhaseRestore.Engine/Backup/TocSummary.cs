namespace PgPhaseRestore.Engine.Backup;

/// <summary>What the archive's table of contents holds, read back from the stored archive.</summary>
public sealed class TocSummary
{
    /// <summary>The archive version pg_dump wrote, e.g. 1.16-0.</summary>
    public string ArchiveVersion { get; init; } = "";

    /// <summary>Entries in the table of contents.</summary>
    public int Entries { get; init; }

    /// <summary>TABLE DATA entries: the tables whose rows the archive holds.</summary>
    public int TableData { get; init; }

    /// <summary>Entries per TOC type (TABLE, INDEX...).</summary>
    public IReadOnlyDictionary<string, int> ByType { get; init; } = new Dictionary<string, int>();

    /// <summary>The summary in one line, as a list of the backup shows it.</summary>
    public override string ToString() => $"{Plural.Of(Entries, "entry")}, {Plural.Of(TableData, "table")} with rows (archive {ArchiveVersion})";
}
