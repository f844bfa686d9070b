using System.Management.Automation;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// The plan's choices that every planning cmdlet takes: Split-PgRestorePhases, Invoke-PgPhaseRestore and
/// Copy-PgDatabase. The selection has one meaning on each, what is restored (or copied); Copy-PgDatabase's dump
/// follows from it.
/// </summary>
public abstract class PgPlanCmdletBase : PgStorageCmdletBase
{
    /// <summary>Auto (default: each btree index built early, or after its table's data when its sort fits -MemoryBudget, so no build spills to temp files), PreCreate (every index exists before the data arrives) or Standard (pg_restore's order).</summary>
    [Parameter]
    public RestoreStrategy Strategy { get; set; } = PlanOptions.DefaultStrategy;

    /// <summary>Auto: bytes of memory late index builds may use at once (default: the target's maintenance_work_mem when Invoke-PgPhaseRestore plans against a target, 64 MB otherwise).</summary>
    [Parameter]
    [ValidateRange(PlanOptions.MinMemoryBudget, long.MaxValue)]
    public long? MemoryBudget { get; set; }

    /// <summary>Leave out grants and default privileges.</summary>
    [Parameter]
    public SwitchParameter SkipPrivileges { get; set; }

    /// <summary>Only these schemas, each with everything in it (with -IncludeTable, both); what they need to exist, such as a type of another schema, comes along.</summary>
    [Parameter]
    [Alias("Schema")]
    public string[] IncludeSchema { get; set; } = [];

    /// <summary>Leave out these schemas and what depends on them.</summary>
    [Parameter]
    public string[] ExcludeSchema { get; set; } = [];

    /// <summary>Only these tables, views or sequences (name or schema.name, as written: no wildcards), each with its data, indexes, constraints, triggers, owned sequences and grants, and what it needs to exist: its schema, types, functions. A partitioned table comes with its partitions; a name that matches nothing is refused.</summary>
    [Parameter]
    [Alias("Table")]
    public string[] IncludeTable { get; set; } = [];

    /// <summary>Leave out these tables and what depends on them.</summary>
    [Parameter]
    public string[] ExcludeTable { get; set; } = [];

    /// <summary>Only entries of these TOC types, e.g. INDEX.</summary>
    [Parameter]
    public string[] IncludeType { get; set; } = [];

    /// <summary>Leave out entries of these TOC types.</summary>
    [Parameter]
    public string[] ExcludeType { get; set; } = [];

    /// <summary>
    /// The warning for an Auto plan with indexes it could not size: they are built early, which is safe but slower.
    /// The manifest beside an archive in a bucket is read with this command's own -S3* parameters.
    /// </summary>
    protected static string SizingWarning(string source, string gap) =>
        $"{source}: Auto has no size for some indexes, so builds them before the data: {gap}." +
        (gap.StartsWith("the manifest beside it could not be read", StringComparison.Ordinal)
            ? " Give this command the bucket's -S3Endpoint, -S3Credential or -ProfileName, as the commands that read the archive take them." : "");

    /// <summary>The plan options: strategy, budget and what is restored (or copied).</summary>
    protected PlanOptions BuildPlanOptions() => new()
    {
        Strategy = Strategy,
        MemoryBudget = MemoryBudget,
        SkipPrivileges = SkipPrivileges.IsPresent,
        IncludeSchemas = IncludeSchema,
        ExcludeSchemas = ExcludeSchema,
        IncludeTables = IncludeTable,
        ExcludeTables = ExcludeTable,
        IncludeTypes = IncludeType,
        ExcludeTypes = ExcludeType,
    };
}
