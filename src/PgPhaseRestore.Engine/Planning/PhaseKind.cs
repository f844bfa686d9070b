namespace PgPhaseRestore.Engine.Planning;

/// <summary>The four phases, numbered as operators run them.</summary>
public enum PhaseKind
{
    /// <summary>Schema without indexes and constraints: pre-data, large-object metadata included.</summary>
    Schema = 1,

    /// <summary>Empty indexes and index-backed constraints on the still empty tables, with their attachments and comments.</summary>
    Indexes = 2,

    /// <summary>Table data, sequence values, large-object contents, statistics: indexes are maintained as rows arrive.</summary>
    Data = 3,

    /// <summary>Everything else: foreign keys, NOT VALID checks, triggers, rules, row security, grants, view refreshes.</summary>
    PostData = 4,
}
