using System.Management.Automation;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.PowerShell.Completers;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Restores an archive into a target database in four phases with pg_restore. It runs all four phases, or those chosen
/// with -Phase, from phase objects or archives on the pipeline, or straight from an archive path, and writes one
/// result object per phase.
/// </summary>
/// <example>
/// <code>Get-PgDumpToc ./nightly.dump | Split-PgRestorePhases | Invoke-PgPhaseRestore -TargetConnection 'host=db.example.com dbname=app_copy' -TargetCredential $cred -CreateDatabase -NoOwner</code>
/// <para>All four phases into a new database, as a user with CREATEDB only.</para>
/// </example>
/// <example>
/// <code>Split-PgRestorePhases -Path ./nightly.dump | Invoke-PgPhaseRestore -TargetConnection 'host=db.example.com dbname=app_copy' -TargetCredential $cred -Resume</code>
/// <para>Continues an interrupted restore from its first unfinished step.</para>
/// </example>
/// <example>
/// <code>Split-PgRestorePhases -Path ./nightly.dump | Invoke-PgPhaseRestore -TargetConnection 'host=db.example.com dbname=app_copy' -TargetCredential $cred -Phase 3 -WhatIf</code>
/// <para>Shows what running only the data phase would do.</para>
/// </example>
/// <example>
/// <code>Get-ChildItem ./dumps/*.dump | ForEach-Object -Parallel { Import-Module PgPhaseRestore; Invoke-PgPhaseRestore -Path $_.FullName -TargetConnection 'host=db.example.com' -TargetDatabase ($_.BaseName + '_restored') -TargetCredential $using:cred -CreateDatabase -NoOwner } -ThrottleLimit 4</code>
/// <para>Four archives at a time, each into its own new database; every runspace imports the module itself.</para>
/// </example>
/// <example>
/// <code>Invoke-PgPhaseRestore -Path ./nightly.dump -TargetConnection 'host=db.example.com dbname=app' -TargetCredential $cred -NoOwner -ReplaceDatabase -Force -Confirm:$false</code>
/// <para>Targeted rollback: restores into app__pgphase_&lt;time&gt; beside app, verifies it against the archive, then swaps it in; the old app becomes app__before_&lt;time&gt;. Replacing a live database asks first (High impact); a runbook, which cannot answer, says -Confirm:$false.</para>
/// </example>
/// <example>
/// <code>Invoke-PgPhaseRestore -Path ./nightly.dump -ListFile ./lists/phase-3-data.list -TargetConnection 'host=db.example.com dbname=app_copy' -TargetCredential $cred</code>
/// <para>Runs an edited list: after Split-PgRestorePhases -ListDirectory ./lists wrote the four lists and phases 1 and 2 ran, the data phase without the lines removed from (or commented out in) phase-3-data.list.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "PgPhaseRestore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PhaseSet)]
[OutputType(typeof(PhaseResult), typeof(Engine.Replace.ReplaceResult))]
public sealed partial class InvokePgPhaseRestoreCommand : PgRestoreCmdletBase
{
    private const string PhaseSet = "Phase";
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string ArchiveSet = "Archive";
    private readonly List<RestorePhase> _phases = [];

    /// <summary>Phases from Split-PgRestorePhases.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = PhaseSet)]
    public RestorePhase[] InputObject { get; set; } = [];

    /// <summary>An archive from Get-PgDumpToc, planned here (with -Strategy and the filters) and restored.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ArchiveSet)]
    public DumpArchive? Archive { get; set; }

    /// <summary>An archive to plan and restore directly: a custom-format file or a directory-format folder (wildcards allowed: each match is restored in turn), or s3://bucket/key (taken as written).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [PipelinePath]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>An archive to plan and restore directly, its path taken exactly as written: no character is a wildcard. Files from Get-ChildItem and backups from Get-PgBackup bind here.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP", "FullName", "Location", "Uri")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>User name and password for the target.</summary>
    [Parameter]
    [Credential]
    [Alias("Credential")]
    public override PSCredential? TargetCredential { get; set; }

    /// <summary>Only these phases: 1 schema, 2 indexes, 3 data, 4 post-data.</summary>
    [Parameter]
    [ValidateRange(1, 4)]
    [ArgumentCompleter(typeof(PhaseCompleter))]
    public int[] Phase { get; set; } = [];

    /// <summary>Run phase 1 into a database that already holds objects.</summary>
    [Parameter]
    public SwitchParameter AllowNonEmptyTarget { get; set; }

    /// <summary>Continue an interrupted restore from its first unfinished step, as its journal records.</summary>
    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary>Run phases again that the journal says completed. With -ReplaceDatabase: end the live database's sessions at the swap.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Collects piped phases, or plans and restores an archive, or each archive -Path names, at once.</summary>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == PhaseSet)
        {
            // Only now is the parameter set known: before the first record binds, it reads as the default one.
            if (_phases.Count == 0)
                RefusePlanningOfPipedPhases();
            _phases.AddRange(InputObject);
            return;
        }
        if (Archive is not null)
        {
            // Auto's default budget is the target's maintenance_work_mem, as for a path.
            PlanAndRestore(Archive.Source, (options, target) => RunEngine(ct => ArchivePlanning.PlanAsync(Archive, options, S3, ct, target, log: VerboseFromEngine)));
            return;
        }
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var location in LocateArchives(literal ? LiteralPath : Path, literal))
            PlanAndRestore(location.Path, (options, target) => RunEngine(ct => ArchivePlanning.PlanAsync(location, options, ct, target, log: VerboseFromEngine)));
    }

    private void PlanAndRestore(string source, Func<PlanOptions, Engine.Connections.PgConnectionInfo, RestorePlan> plan)
    {
        try
        {
            var target = ResolveTarget();
            var planned = plan(BuildPlanOptions() with { SizeWhileLoading = true }, target);
            foreach (var decision in planned.IndexDecisions)
                WriteVerbose(decision.ToString());
            if (planned.SizingGap is { } gap)
                WriteWarning(SizingWarning(source, gap));
            Restore(planned.Phases, target);
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            WriteError(ErrorRecords.From(ex, source));
        }
    }

    // The parameters that choose what a plan holds: piped phases were planned already, by Split-PgRestorePhases.
    private static readonly string[] Planning =
        [nameof(Strategy), nameof(MemoryBudget), nameof(IncludeSchema), nameof(ExcludeSchema), nameof(IncludeTable), nameof(ExcludeTable), nameof(IncludeType), nameof(ExcludeType)];

    /// <summary>A selection or strategy given beside piped phases would be ignored: refused before anything runs (phases run at the end).</summary>
    private void RefusePlanningOfPipedPhases()
    {
        var bound = Planning.Where(MyInvocation.BoundParameters.ContainsKey).ToList();
        // A session's defaults ($PSDefaultParameterValues) apply to the archives this cmdlet plans, not to phases planned already.
        foreach (var supplied in bound.Where(p => DefaultParameterValues.Supplied(this, p)).ToList())
        {
            WriteVerbose($"-{supplied} from $PSDefaultParameterValues is not applied: piped phases were planned by Split-PgRestorePhases");
            bound.Remove(supplied);
        }
        if (bound is not { Count: > 0 } given)
            return;
        var names = string.Join(", ", given.Select(p => "-" + p));
        ThrowTerminatingError(Refusal($"{names}: piped phases are planned already, so {(given.Count == 1 ? "it chooses" : "they choose")} nothing here",
            $"Give {names} to Split-PgRestorePhases, or restore the archive with -Path."));
    }

    /// <summary>
    /// Piped phases that cannot make one restore are refused before anything runs: phases of several archives into
    /// one target (the second would load into the first's schema), or one phase piped twice.
    /// </summary>
    private ErrorRecord? CheckPipedPhases()
    {
        if (_phases.GroupBy(p => (p.Source, p.Number)).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return Refusal($"phase {twice.Key.Number} of {twice.Key.Source} was piped {twice.Count()} times",
                "Pipe each phase once: Split-PgRestorePhases | Where-Object Number -In 1, 2 | Invoke-PgPhaseRestore ...");
        var sources = _phases.Select(p => p.Source).Distinct().ToList();
        if (sources.Count > 1 && !AllowNonEmptyTarget.IsPresent)
            return Refusal($"phases of {sources.Count} archives were piped into one target ({string.Join(", ", sources.Take(3))}{(sources.Count > 3 ? ", ..." : "")}): " +
                           "each would restore into what the one before it left",
                "Restore one archive's phases at a time, or add -AllowNonEmptyTarget to restore them into one database in turn.");
        return null;
    }

    private static ErrorRecord Refusal(string message, string action) =>
        ErrorRecords.WithAction(new ArgumentException(message), ErrorRecords.InvalidArgument, ErrorCategory.InvalidArgument, null, action);

    /// <summary>Restores the collected phases, one archive after the other.</summary>
    protected override void EndProcessing()
    {
        // Phases piped in from several archives (with a non-empty target allowed) restore one archive after the other.
        if (_phases.Count == 0)
            return;
        if (CheckPipedPhases() is { } refused)
        {
            WriteError(refused);
            return;
        }
        Engine.Connections.PgConnectionInfo target;
        try
        {
            target = ResolveTarget();
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            // A target string refused as it is read: the same record as for a -Path restore, before anything runs.
            WriteError(ErrorRecords.From(ex, Connections.Shown(TargetConnection)));
            return;
        }
        foreach (var group in _phases.GroupBy(p => p.Source))
            Restore(group.ToList(), target);
    }

    private void Restore(IReadOnlyList<RestorePhase> planned, Engine.Connections.PgConnectionInfo target)
    {
        var phases = Listed(planned);
        if (ReplaceDatabase.IsPresent)
        {
            Replace(phases, target);
            return;
        }
        var chosen = Phase.Length == 0 ? "all phases" : "phase " + string.Join(", ", Phase);
        if (!HighImpact.Ask(this, target.ToString(), () => ShouldProcess($"database {target}", $"Restore {chosen} of {phases[0].Source}")))
            return;

        // Phases carry no storage settings: an archive in a bucket is reached with this command's.
        var options = BuildRestoreOptions(target, Phase, AllowNonEmptyTarget.IsPresent, Resume.IsPresent, Force.IsPresent);

        // A new record for every write: the host keeps the records it is given, so one mutated instance would
        // read back as its last state. The child bar of each phase ends as its phase does.
        string activity = $"Restoring {phases[0].Source}";
        var progress = new CallbackProgress<RestoreProgress>(p =>
        {
            OnProgress(new ProgressRecord(1, activity, $"phase {p.Phase} of 4 into {target}: {p.PhaseName}") { PercentComplete = OverallPercent(p) });
            OnProgress(new ProgressRecord(2, $"Phase {p.Phase} {p.PhaseName}", p.Activity.Length == 0 ? "working" : p.Activity)
            {
                ParentActivityId = 1,
                PercentComplete = p.PercentComplete,
                CurrentOperation = p.Data?.ToString(),
                SecondsRemaining = p.Data?.Remaining is { } left ? (int)Math.Ceiling(left.TotalSeconds) : -1,
            });
        });
        // Each result is written as its phase ends, while the next phase runs.
        void PhaseEnded(PhaseResult result)
        {
            OnProgress(new ProgressRecord(2, $"Phase {result.Phase} {result.Name}", "done") { ParentActivityId = 1, RecordType = ProgressRecordType.Completed });
            OnPipeline(() =>
            {
                WriteObject(result);
                foreach (var error in result.Errors)
                    WriteError(ErrorRecords.From(error, result, ErrorRecords.PhaseAction(ContinueOnError.IsPresent)));
            });
        }

        try
        {
            options.Validate();
            RunEngine(ct => new PhaseRestorer(options, progress, VerboseFromEngine, DebugFromEngine)
                .RunAsync(phases, PhaseEnded, ct));
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            // One archive's restore failed: the next archive of a -Path pattern or of the pipeline is still restored
            // (-ErrorAction Stop, or $ErrorActionPreference = 'Stop', ends the command here instead).
            WriteError(ErrorRecords.From(ex, target.ToString()));
        }
        finally
        {
            WriteProgress(new ProgressRecord(2, "Phase", "done") { ParentActivityId = 1, RecordType = ProgressRecordType.Completed });
            WriteProgress(new ProgressRecord(1, activity, "done") { RecordType = ProgressRecordType.Completed });
        }
    }
}
