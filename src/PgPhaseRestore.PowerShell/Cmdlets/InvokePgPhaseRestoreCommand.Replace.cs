using System.Management.Automation;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Replace;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>-ReplaceDatabase: restore beside the target, verify against the archive, then swap it in.</summary>
public sealed partial class InvokePgPhaseRestoreCommand
{
    /// <summary>
    /// Targeted rollback: restore into a side database beside the target database, verify it against the archive,
    /// and only then swap it in; the target moves to &lt;name&gt;__before_&lt;UTC time&gt;. Any failure leaves the target untouched.
    /// Replacing a live database asks for confirmation (High impact) unless -Confirm:$false is given, as runbooks do.
    /// </summary>
    [Parameter]
    public SwitchParameter ReplaceDatabase { get; set; }

    /// <summary>With -ReplaceDatabase: the database to restore into first (default: &lt;name&gt;__pgphase_&lt;UTC yyyyMMddHHmmss&gt;).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SideDatabase { get; set; }

    /// <summary>With -ReplaceDatabase: the name the target database moves to at the swap (default: &lt;name&gt;__before_&lt;UTC yyyyMMddHHmmss&gt;).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? AsideName { get; set; }

    /// <summary>With -ReplaceDatabase: verify without counting each table's rows in the archive (one pass over its data fewer).</summary>
    [Parameter]
    public SwitchParameter SkipRowCount { get; set; }

    private void Replace(IReadOnlyList<RestorePhase> phases, Engine.Connections.PgConnectionInfo target)
    {
        var options = new ReplaceOptions
        {
            Restore = BuildRestoreOptions(target, Phase, AllowNonEmptyTarget.IsPresent, Resume.IsPresent, force: false),
            SideDatabase = SideDatabase,
            AsideName = AsideName,
            Force = Force.IsPresent,
            SkipRowCounts = SkipRowCount.IsPresent,
        };
        ReplacePlan plan;
        try
        {
            plan = RunEngine(ct => DatabaseReplace.PlanAsync(options, phases, ct));
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            ThrowTerminatingError(ErrorRecords.From(ex, target.Database));
            return;
        }
        // A live database is replaced: asked for at High impact, whatever the cmdlet's Medium for new databases.
        if (!HighImpact.ShouldProcess(this, $"database \"{plan.Database}\" on {plan.Server}", plan.Describe()))
            return;

        var progress = new CallbackProgress<RestoreProgress>(p => OnProgress(
            new ProgressRecord(1, $"Replacing \"{plan.Database}\" from {plan.Archive}", $"phase {p.Phase} of 4 into \"{plan.SideDatabase}\": {p.PhaseName}")
            {
                PercentComplete = OverallPercent(p),
                CurrentOperation = p.Activity,
            }));
        ReplaceResult result;
        try
        {
            result = RunEngine(ct => DatabaseReplace.RunAsync(plan, phases, progress, VerboseFromEngine, DebugFromEngine, ct));
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            ThrowTerminatingError(ErrorRecords.From(ex, plan.Database));
            return;
        }
        finally
        {
            WriteProgress(new ProgressRecord(1, "Replacing", "done") { RecordType = ProgressRecordType.Completed });
        }
        foreach (var note in result.Verification?.Notes ?? [])
            WriteWarning(note);
        foreach (var refused in result.Swap?.NotCarried ?? [])
            WriteWarning($"not carried: {refused}");
        WriteObject(result);
        if (!result.Succeeded)
            WriteError(ErrorRecords.From(result));
    }
}
