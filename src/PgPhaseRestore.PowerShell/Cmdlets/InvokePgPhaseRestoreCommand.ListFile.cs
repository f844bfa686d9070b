using System.Management.Automation;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>-ListFile: run what edited pg_restore list files keep.</summary>
public sealed partial class InvokePgPhaseRestoreCommand
{
    private ListedEntries? _listed;

    /// <summary>
    /// Restore only the entries these pg_restore list files keep: the files Split-PgRestorePhases -ListDirectory
    /// writes (or Get-PgDumpToc -List), edited; a line removed or commented out with ';' is not restored. The entries
    /// run in the plan's order; phases that keep none are not run. Wildcards allowed (./lists/*.list).
    /// </summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] ListFile { get; set; } = [];

    /// <summary>Resolves the storage settings, then reads the list files once, before the first record.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (ListFile.Length == 0)
            return;
        try
        {
            _listed = ListedEntries.Read(ListFile.SelectMany(f => ArchivePaths.Resolve(SessionState, f, literal: false)).ToList());
        }
        catch (ItemNotFoundException ex)
        {
            ThrowTerminatingError(ArchivePaths.NotFound(ex, string.Join(", ", ListFile), nameof(ListFile)));
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            // A file that cannot be read (missing, a folder, no permission): the parameter that named it.
            ThrowTerminatingError(RecommendedActions.Apply(ErrorRecords.From(ex, string.Join(", ", ListFile)), ex, "Check -ListFile."));
        }
    }

    /// <summary>The phases as the list files restrict them (all of them without -ListFile).</summary>
    private IReadOnlyList<RestorePhase> Listed(IReadOnlyList<RestorePhase> phases)
    {
        if (_listed is null)
            return phases;
        try
        {
            foreach (var index in _listed.LateBuildsLeftOut(phases))
                WriteWarning($"{index} is built after its table's rows, in the data phase's list, which the list files given leave out: it is not restored, " +
                             "and a foreign key that needs it fails (add that list, or restore with -Phase 1, 2, 4, which builds it in phase 4)");
            var kept = _listed.Apply(phases, out var notPlanned);
            foreach (var entry in notPlanned)
                WriteWarning($"{entry} is listed but left out by the plan, so it is not restored");
            return kept;
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            ThrowTerminatingError(ErrorRecords.From(ex, string.Join(", ", _listed.Files)));
            return [];
        }
    }
}
