using System.Management.Automation;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>Strategy and filters, shared by the cmdlets that plan.</summary>
public abstract class PgPlanCmdletBase : PgStorageCmdletBase
{
    [Parameter]
    public RestoreStrategy Strategy { get; set; } = RestoreStrategy.PreCreate;

    [Parameter]
    public string[] IncludeSchema { get; set; } = [];

    [Parameter]
    public string[] ExcludeSchema { get; set; } = [];

    [Parameter]
    public string[] IncludeTable { get; set; } = [];

    [Parameter]
    public string[] ExcludeTable { get; set; } = [];

    [Parameter]
    public string[] IncludeType { get; set; } = [];

    [Parameter]
    public string[] ExcludeType { get; set; } = [];

    /// <summary>Leave out grants and default privileges.</summary>
    [Parameter]
    public SwitchParameter SkipPrivileges { get; set; }

    protected PlanOptions BuildPlanOptions() => new()
    {
        Strategy = Strategy,
        IncludeSchemas = IncludeSchema,
        ExcludeSchemas = ExcludeSchema,
        IncludeTables = IncludeTable,
        ExcludeTables = ExcludeTable,
        IncludeTypes = IncludeType,
        ExcludeTypes = ExcludeType,
        SkipPrivileges = SkipPrivileges.IsPresent,
    };
}
