namespace PgPhaseRestore.Engine.Planning;

/// <summary>How to split an archive: the strategy and the filters operators need.</summary>
public sealed record PlanOptions
{
    /// <summary>The strategy every host defaults to: Auto, which never lets an index build spill to temp files.</summary>
    public const RestoreStrategy DefaultStrategy = RestoreStrategy.Auto;

    /// <summary>Auto (default: each btree index early or late), PreCreate (indexes before the data) or Standard (pg_restore's order).</summary>
    public RestoreStrategy Strategy { get; init; } = DefaultStrategy;

    /// <summary>
    /// Only these schemas, each with everything in it (empty: all, unless <see cref="IncludeTables"/> selects).
    /// Together with <see cref="IncludeTables"/>, both are kept. What a selected object needs to exist (its schema,
    /// types, functions) comes with it.
    /// </summary>
    public IReadOnlyCollection<string> IncludeSchemas { get; init; } = [];

    /// <summary>Leave out these schemas, everything in them and whatever depends on it.</summary>
    public IReadOnlyCollection<string> ExcludeSchemas { get; init; } = [];

    /// <summary>
    /// Only these tables, views or sequences (name, in any schema, or schema.name), each with what belongs to it (data,
    /// indexes, constraints, triggers, owned sequences, comments, grants) and what it needs to exist (its schema,
    /// types, functions), nothing else (empty: all, unless <see cref="IncludeSchemas"/> selects).
    /// </summary>
    public IReadOnlyCollection<string> IncludeTables { get; init; } = [];

    /// <summary>Leave out these tables (name or schema.name) and whatever depends on them.</summary>
    public IReadOnlyCollection<string> ExcludeTables { get; init; } = [];

    /// <summary>Only these entry types, e.g. "TABLE", "INDEX" (empty: all).</summary>
    public IReadOnlyCollection<string> IncludeTypes { get; init; } = [];

    /// <summary>Leave out entries of these types, e.g. "TABLE DATA".</summary>
    public IReadOnlyCollection<string> ExcludeTypes { get; init; } = [];

    /// <summary>Leave out grants and default privileges (ACL, DEFAULT ACL entries).</summary>
    public bool SkipPrivileges { get; init; }

    /// <summary>
    /// Auto: the memory late index builds may use at once, in bytes (default: the target's maintenance_work_mem
    /// when restoring, PostgreSQL's default 64 MB when only planning).
    /// </summary>
    public long? MemoryBudget { get; init; }

    /// <summary>PostgreSQL's default maintenance_work_mem (64 MiB): the budget when planning without a target.</summary>
    public const long DefaultMemoryBudget = 64L * 1024 * 1024;

    /// <summary>The smallest memory budget a host accepts (1 MiB): below it no sort fits, and every index is built early.</summary>
    public const long MinMemoryBudget = 1024 * 1024;

    /// <summary>
    /// Auto: each index's sort estimate, by "schema.index" (from a backup manifest, the source database or a scan
    /// of the archive: see <see cref="IndexSizing.CompleteAsync"/>). An index without one is built early.
    /// </summary>
    public IReadOnlyDictionary<string, IndexSortEstimate>? IndexEstimates { get; init; }

    /// <summary>
    /// Auto, for a plan a restore runs: a big table whose scan projects each index's sort clearly inside the budget, or
    /// clearly past it, from its first share of rows is not read further; its late builds are confirmed by measuring
    /// every row as the restore loads it (<see cref="IndexSortEstimate.Provisional"/>). Off for a plan only shown,
    /// which sizes from every row.
    /// </summary>
    public bool SizeWhileLoading { get; init; }

    /// <summary>Auto: why there are no estimates, for the plan's reasons.</summary>
    public string? NoEstimateReason { get; init; }
}
