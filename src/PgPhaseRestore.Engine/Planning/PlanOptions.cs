namespace PgPhaseRestore.Engine.Planning;

/// <summary>How to split an archive: the strategy and the filters operators need.</summary>
public sealed record PlanOptions
{
    /// <summary>How indexes are ordered against the data (default: PreCreate).</summary>
    public RestoreStrategy Strategy { get; init; } = RestoreStrategy.PreCreate;

    /// <summary>Only objects in these schemas (empty: all).</summary>
    public IReadOnlyCollection<string> IncludeSchemas { get; init; } = [];

    /// <summary>Leave out objects in these schemas.</summary>
    public IReadOnlyCollection<string> ExcludeSchemas { get; init; } = [];

    /// <summary>Only these tables (name or schema.name), with their data, indexes and other dependents (empty: all).</summary>
    public IReadOnlyCollection<string> IncludeTables { get; init; } = [];

    /// <summary>Leave out these tables (name or schema.name) and what depends on them.</summary>
    public IReadOnlyCollection<string> ExcludeTables { get; init; } = [];

    /// <summary>Only these entry types, e.g. "TABLE", "INDEX" (empty: all).</summary>
    public IReadOnlyCollection<string> IncludeTypes { get; init; } = [];

    /// <summary>Leave out entries of these TOC types.</summary>
    public IReadOnlyCollection<string> ExcludeTypes { get; init; } = [];

    /// <summary>Leave out grants and default privileges (ACL, DEFAULT ACL entries).</summary>
    public bool SkipPrivileges { get; init; }

    /// <summary>
    /// Auto: the memory late index builds may use at once, in bytes (default: the target's maintenance_work_mem
    /// when restoring, PostgreSQL's default 64 MB when only planning).
    /// </summary>
    public long? MemoryBudget { get; init; }

    /// <summary>Auto: on-disk size of each index at the source, by "schema.index" (from a backup manifest or the source database).</summary>
    public IReadOnlyDictionary<string, long>? IndexSizes { get; init; }

    /// <summary>Auto: where <see cref="IndexSizes"/> came from, for the plan's reasons.</summary>
    public string? IndexSizeSource { get; init; }
}
