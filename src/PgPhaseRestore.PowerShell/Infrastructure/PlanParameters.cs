using System.Management.Automation;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>The plan's choices that every planning cmdlet takes: Split-PgRestorePhases, Invoke-PgPhaseRestore and Copy-PgDatabase.</summary>
public abstract class PgPlanCmdletBase : PgStorageCmdletBase
{
    /// <summary>PreCreate (default: indexes exist before the data arrives), Auto (each btree index early, or after its table's data when its sort fits -MemoryBudget) or Standard (pg_restore's order).</summary>
    [Parameter]
    public RestoreStrategy Strategy { get; set; } = RestoreStrategy.PreCreate;

    /// <summary>Auto: bytes of memory late index builds may use at once (default: the target's maintenance_work_mem when Invoke-PgPhaseRestore plans against a target, 64 MB otherwise).</summary>
    [Parameter]
    [ValidateRange(1048576, long.MaxValue)]
    public long? MemoryBudget { get; set; }

    /// <summary>Leave out grants and default privileges.</summary>
    [Parameter]
    public SwitchParameter SkipPrivileges { get; set; }

    /// <summary>The plan options; the archive filters come from cmdlets that declare them.</summary>
    protected PlanOptions BuildPlanOptions()
    {
        var filters = this as IArchiveFilterParameters;
        return new PlanOptions
        {
            Strategy = Strategy,
            MemoryBudget = MemoryBudget,
            SkipPrivileges = SkipPrivileges.IsPresent,
            IncludeSchemas = filters?.IncludeSchema ?? [],
            ExcludeSchemas = filters?.ExcludeSchema ?? [],
            IncludeTables = filters?.IncludeTable ?? [],
            ExcludeTables = filters?.ExcludeTable ?? [],
            IncludeTypes = filters?.IncludeType ?? [],
            ExcludeTypes = filters?.ExcludeType ?? [],
        };
    }
}

/// <summary>
/// Filters on an archive's entries, declared by Split-PgRestorePhases and Invoke-PgPhaseRestore alike (a contract
/// test keeps the two declarations identical). They are not in <see cref="PgPlanCmdletBase"/> because
/// Copy-PgDatabase derives from it too, and there -ExcludeSchema and -ExcludeTable are pg_dump's patterns.
/// </summary>
internal interface IArchiveFilterParameters
{
    string[] IncludeSchema { get; }
    string[] ExcludeSchema { get; }
    string[] IncludeTable { get; }
    string[] ExcludeTable { get; }
    string[] IncludeType { get; }
    string[] ExcludeType { get; }
}
