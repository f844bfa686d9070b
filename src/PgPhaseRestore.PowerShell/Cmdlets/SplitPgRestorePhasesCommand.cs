using System.Management.Automation;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Splits an archive into the four restore phases (schema, indexes, data, post-data) and emits one phase object
/// each, ready for Invoke-PgPhaseRestore or for writing pg_restore list files.
/// </summary>
/// <example>
/// <code>Get-PgDumpToc ./nightly.dump | Split-PgRestorePhases -ListDirectory ./lists</code>
/// <para>The four phases, each also written as a pg_restore -L list file.</para>
/// </example>
/// <example>
/// <code>Split-PgRestorePhases -Path ./nightly.dump -Strategy Standard</code>
/// <para>pg_restore's own order in the same four-phase shape, for comparison.</para>
/// </example>
[Cmdlet(VerbsCommon.Split, "PgRestorePhases", DefaultParameterSetName = ArchiveSet)]
[OutputType(typeof(RestorePhase))]
public sealed class SplitPgRestorePhasesCommand : PgPlanCmdletBase
{
    private const string PathSet = "Path";
    private const string ArchiveSet = "Archive";

    /// <summary>An archive read by Get-PgDumpToc.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ArchiveSet)]
    public DumpArchive? Archive { get; set; }

    /// <summary>Archive location: file, directory-format folder or s3:// URI.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName", "Location", "Uri")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Write each phase's pg_restore list file into this folder as well.</summary>
    [Parameter]
    public string? ListDirectory { get; set; }

    /// <summary>Plans the archive and writes its four phases.</summary>
    protected override void ProcessRecord()
    {
        RestorePlan plan;
        try
        {
            var options = BuildPlanOptions();
            if (Archive is not null)
            {
                plan = PhasePlanner.Plan(Archive, options);
            }
            else
            {
                var location = Locate(Path);
                plan = RunEngine(ct => ArchivePlanning.PlanAsync(location, options, ct));
            }
        }
        catch (Exception ex) when (ErrorRecords.IsExpected(ex))
        {
            WriteError(ErrorRecords.From(ex, Archive?.Source ?? Path));
            return;
        }

        foreach (var excluded in plan.Excluded)
            WriteVerbose($"excluded {excluded.Entry}: {excluded.Reason}");
        foreach (var phase in plan.Phases)
        {
            if (ListDirectory is not null)
                WriteVerbose($"wrote {phase.WriteListFile(ResolveLocation(ListDirectory))}");
            WriteObject(phase);
        }
    }
}
