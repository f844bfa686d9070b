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
/// <para>The four phases, each also written as a pg_restore -L list file (-WhatIf names the files and writes none).</para>
/// </example>
/// <example>
/// <code>Split-PgRestorePhases -Path ./nightly.dump -Strategy Standard</code>
/// <para>pg_restore's own order in the same four-phase shape, for comparison.</para>
/// </example>
[Cmdlet(VerbsCommon.Split, "PgRestorePhases", DefaultParameterSetName = ArchiveSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(RestorePhase))]
public sealed class SplitPgRestorePhasesCommand : PgPlanCmdletBase
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string ArchiveSet = "Archive";

    /// <summary>An archive read by Get-PgDumpToc.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ArchiveSet)]
    public DumpArchive? Archive { get; set; }

    /// <summary>Archive location: file or directory-format folder (wildcards allowed: each match is planned), or s3:// URI (taken as written).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [PipelinePath]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Archive location taken exactly as written: no character is a wildcard. Files from Get-ChildItem and backups from Get-PgBackup bind here.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP", "FullName", "Location", "Uri")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>Write each phase's pg_restore list file into this folder as well (an existing file of the same name is replaced; -WhatIf writes none).</summary>
    [Parameter]
    public string? ListDirectory { get; set; }

    /// <summary>Plans the archive (each archive -Path names) and writes its four phases.</summary>
    protected override void ProcessRecord()
    {
        if (Archive is not null)
        {
            // Planned as -Path plans it: Auto sizes the indexes from the manifest or a scan of the archive.
            Plan(Archive.Source, options => RunEngine(ct => ArchivePlanning.PlanAsync(Archive, options, S3, ct, log: VerboseFromEngine)));
            return;
        }
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var location in LocateArchives(literal ? LiteralPath : Path, literal))
            Plan(location.Path, options => RunEngine(ct => ArchivePlanning.PlanAsync(location, options, ct, log: VerboseFromEngine)));
    }

    private void Plan(string source, Func<PlanOptions, RestorePlan> plan)
    {
        RestorePlan planned;
        try
        {
            planned = plan(BuildPlanOptions());
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            WriteError(ErrorRecords.From(ex, source));
            return;
        }

        foreach (var excluded in planned.Excluded)
            WriteVerbose($"excluded {excluded.Entry}: {excluded.Reason}");
        // Auto: each index early or late, its estimate and why, as `pgphase plan` prints them.
        foreach (var decision in planned.IndexDecisions)
            WriteVerbose(decision.ToString());
        if (planned.SizingGap is { } gap)
            WriteWarning(SizingWarning(source, gap));
        foreach (var phase in planned.Phases)
        {
            // The phase objects are written either way: only the list files are what -WhatIf holds back.
            if (ListDirectory is not null && ResolveLocation(ListDirectory) is { } folder &&
                ShouldProcess(System.IO.Path.Combine(folder, phase.ListFileName), $"Write the pg_restore list of phase {phase.Number} {phase.Name}"))
                WriteVerbose($"wrote {phase.WriteListFile(folder)}");
            WriteObject(phase);
        }
    }
}
