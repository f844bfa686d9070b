using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>Which phase an entry belongs in on its own, before dependencies lift it later.</summary>
internal static class EntryRules
{
    /// <summary>Data-section types and large-object contents: phase 3.</summary>
    private static readonly HashSet<string> DataTypes =
        ["TABLE DATA", "SEQUENCE SET", "BLOBS", "BLOB COMMENTS", "STATISTICS DATA"];

    /// <summary>Large-object metadata: created with the schema, filled in phase 3.</summary>
    private static readonly HashSet<string> LargeObjectMetadata = ["BLOB", "BLOB METADATA"];

    private static readonly HashSet<string> PrivilegeTypes = ["ACL", "DEFAULT ACL", "ACL LANGUAGE"];

    /// <summary>Relation-like entries a table filter applies to.</summary>
    public static readonly HashSet<string> RelationTypes =
        ["TABLE", "TABLE DATA", "SEQUENCE", "SEQUENCE SET", "SEQUENCE OWNED BY", "VIEW", "MATERIALIZED VIEW",
         "MATERIALIZED VIEW DATA", "FOREIGN TABLE", "TABLE ATTACH"];

    public static bool IsPrivilege(TocEntry e) => PrivilegeTypes.Contains(e.Type);

    /// <summary>Entries that only describe another object and go wherever it goes.</summary>
    public static bool IsDescriptive(TocEntry e) => e.Type is "COMMENT" or "SECURITY LABEL";

    public static bool IsData(TocEntry e) => DataTypes.Contains(e.Type) || e.HadDumper;

    /// <summary>
    /// Entries that build an index: plain and partitioned indexes, the attachment of a partition's index to its
    /// parent's, and PRIMARY KEY, UNIQUE and EXCLUDE constraints (each creates its index).
    /// </summary>
    public static bool BuildsIndex(TocEntry e) => e.Type switch
    {
        "INDEX" or "INDEX ATTACH" => true,
        "CONSTRAINT" => e.Definition is { } d &&
                        (d.Contains(" PRIMARY KEY ", StringComparison.Ordinal) || d.Contains(" UNIQUE ", StringComparison.Ordinal) ||
                         d.Contains(" UNIQUE(", StringComparison.Ordinal) || d.Contains(" EXCLUDE ", StringComparison.Ordinal) ||
                         d.Contains(" PRIMARY KEY(", StringComparison.Ordinal)),
        _ => false,
    };

    /// <summary>The entry's own phase, or null for descriptive entries, which follow their object.</summary>
    public static PhaseKind? BasePhase(TocEntry e, RestoreStrategy strategy)
    {
        if (IsPrivilege(e))
            return PhaseKind.PostData;
        if (IsDescriptive(e))
            return null;
        if (LargeObjectMetadata.Contains(e.Type))
            return PhaseKind.Schema;
        if (IsData(e) && e.Section == TocSection.Data)
            return PhaseKind.Data;
        if (e.Type == "STATISTICS DATA")
            return strategy != RestoreStrategy.Standard ? PhaseKind.Data : PhaseKind.PostData;
        if (strategy != RestoreStrategy.Standard && BuildsIndex(e))
            return PhaseKind.Indexes;
        return e.Section switch
        {
            TocSection.PreData => PhaseKind.Schema,
            TocSection.Data => PhaseKind.Data,
            TocSection.PostData => PhaseKind.PostData,
            _ => null,
        };
    }
}
