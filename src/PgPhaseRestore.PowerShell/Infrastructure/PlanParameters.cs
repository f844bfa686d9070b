using System.Management.Automation;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>Strategy and filters, shared by the cmdlets that plan.</summary>
public abstract class PgPlanCmdletBase : PgStorageCmdletBase
{
    /// <summary>PreCreate (default: indexes exist before the data arrives), Auto (each btree index early, or after its table's data when its sort fits -MemoryBudget) or Standard (pg_restore's order).</summary>
    [Parameter]
    public RestoreStrategy Strategy { get; set; } = RestoreStrategy.PreCreate;

    /// <summary>Auto: bytes of memory late index builds may use at once (default: the target's maintenance_work_mem when restoring, 64 MB when only planning).</summary>
    [Parameter]
    [ValidateRange(1048576, long.MaxValue)]
    public long? MemoryBudget { get; set; }

    /// <summary>Only objects in these schemas.</summary>
    [Parameter]
    public string[] IncludeSchema { get; set; } = [];

    /// <summary>Leave out objects in these schemas.</summary>
    [Parameter]
    public string[] ExcludeSchema { get; set; } = [];

    /// <summary>Only these tables (name or schema.name), with what depends on them.</summary>
    [Parameter]
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

    /// <summary>Leave out grants and default privileges.</summary>
    [Parameter]
    public SwitchParameter SkipPrivileges { get; set; }

    protected PlanOptions BuildPlanOptions() => new()
    {
        Strategy = Strategy,
        MemoryBudget = MemoryBudget,
        IncludeSchemas = IncludeSchema,
        ExcludeSchemas = ExcludeSchema,
        IncludeTables = IncludeTable,
        ExcludeTables = ExcludeTable,
        IncludeTypes = IncludeType,
        ExcludeTypes = ExcludeType,
        SkipPrivileges = SkipPrivileges.IsPresent,
    };
}
