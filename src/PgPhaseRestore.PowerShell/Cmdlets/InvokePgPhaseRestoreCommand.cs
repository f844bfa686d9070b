using System.Collections;
using System.Management.Automation;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.PowerShell.Completers;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Runs restore phases into a target database with pg_restore: all four, or the ones chosen with -Phase,
/// from phase objects on the pipeline or straight from an archive path. One result object per phase.
/// </summary>
/// <example>
/// <code>Get-PgDumpToc ./nightly.dump | Split-PgRestorePhases | Invoke-PgPhaseRestore -Target 'host=db.example.com dbname=app_copy' -Credential $cred -CreateDatabase -NoOwner</code>
/// <para>All four phases into a new database, as a user with CREATEDB only.</para>
/// </example>
/// <example>
/// <code>Split-PgRestorePhases -Path ./nightly.dump | Invoke-PgPhaseRestore -Target 'host=db.example.com dbname=app_copy' -Credential $cred -Resume</code>
/// <para>Continues an interrupted restore from its first unfinished step.</para>
/// </example>
/// <example>
/// <code>Split-PgRestorePhases -Path ./nightly.dump | Invoke-PgPhaseRestore -Target 'host=db.example.com dbname=app_copy' -Credential $cred -Phase 3 -WhatIf</code>
/// <para>Shows what running only the data phase would do.</para>
/// </example>
/// <example>
/// <code>Invoke-PgPhaseRestore -Path ./nightly.dump -Target 'host=db.example.com dbname=app' -Credential $cred -NoOwner -ReplaceDatabase -Force</code>
/// <para>Targeted rollback: restores into app__pgphase_&lt;time&gt; beside app, verifies it against the archive, then swaps it in; the old app becomes app__before_&lt;time&gt;.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "PgPhaseRestore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PhaseSet)]
[OutputType(typeof(PhaseResult), typeof(Engine.Replace.ReplaceResult))]
public sealed partial class InvokePgPhaseRestoreCommand : PgPlanCmdletBase
{
    private const string PhaseSet = "Phase";
    private const string PathSet = "Path";
    private readonly List<RestorePhase> _phases = [];

    /// <summary>Phases from Split-PgRestorePhases.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = PhaseSet)]
    public RestorePhase[] InputObject { get; set; } = [];

    /// <summary>An archive to plan and restore directly: a custom-format file, a directory-format folder or s3://bucket/key.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName", "Location", "Uri", "Source")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Target database as a libpq string or URI (PG* variables fill the rest). No password here: use -Credential.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Target { get; set; } = "";

    /// <summary>User name and password for the target.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Only these phases: 1 schema, 2 indexes, 3 data, 4 post-data.</summary>
    [Parameter]
    [ValidateRange(1, 4)]
    [ArgumentCompleter(typeof(PhaseCompleter))]
    public int[] Phase { get; set; } = [];

    /// <summary>Create the target database when it does not exist (needs only CREATEDB).</summary>
    [Parameter]
    public SwitchParameter CreateDatabase { get; set; }

    /// <summary>Run phase 1 into a database that already holds objects.</summary>
    [Parameter]
    public SwitchParameter AllowNonEmptyTarget { get; set; }

    /// <summary>Continue an interrupted restore from its first unfinished step, as its journal records.</summary>
    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary>Run phases again that the journal says completed. With -ReplaceDatabase: end the live database's sessions at the swap.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Do not restore object ownership: objects belong to the restoring user (needed without superuser).</summary>
    [Parameter]
    public SwitchParameter NoOwner { get; set; }

    /// <summary>SET ROLE to this role after connecting (pg_restore --role).</summary>
    [Parameter]
    public string? Role { get; set; }

    /// <summary>Parallel jobs for the data phase (local custom or directory archives).</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int Jobs { get; set; } = 1;

    /// <summary>Session settings for every pg_restore connection, e.g. @{ synchronous_commit = 'off' }.</summary>
    [Parameter]
    public Hashtable? SessionSetting { get; set; }

    /// <summary>Do not stop at the first error: pg_restore goes on and every error is reported.</summary>
    [Parameter]
    public SwitchParameter ContinueOnError { get; set; }

    /// <summary>Journal file (default: one per target under PGPHASE_JOURNAL_DIR or the user's local application data).</summary>
    [Parameter]
    public string? JournalPath { get; set; }

    /// <summary>The pg_restore to use, a file or a bin folder (default: one new enough for the archive).</summary>
    [Parameter]
    public string? PgRestorePath { get; set; }

    /// <summary>Stop the sessions a killed earlier run left working on the target, instead of waiting for them to end.</summary>
    [Parameter]
    public SwitchParameter StopStaleSessions { get; set; }

    /// <summary>With -Jobs, a table whose data in the archive is at least this many bytes loads over all the jobs' sessions at once (default 32 MB; 0 never).</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long SplitTableSize { get; set; } = RestoreOptions.DefaultSplitTableSize;

    /// <summary>Go on through a transaction-mode pooler (PgBouncer and the like), without the one-restore-at-a-time lock.</summary>
    [Parameter]
    public SwitchParameter AllowPooler { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == PhaseSet)
        {
            _phases.AddRange(InputObject);
            return;
        }
        try
        {
            var location = ResolveLocation(Path);
            var options = BuildPlanOptions();
            var s3 = BuildS3Settings();
            // Auto's default budget is the target's maintenance_work_mem.
            var plan = RunEngine(ct => ArchivePlanning.PlanAsync(location, options, s3, ct, Connections.From(Target, Credential)));
            Restore(plan.Phases);
        }
        catch (Exception ex) when (ErrorRecords.IsPerInput(ex) || ex is PlanException)
        {
            WriteError(ErrorRecords.From(ex, Path));
        }
    }

    protected override void EndProcessing()
    {
        // Phases piped in from several archives restore one archive after the other.
        foreach (var group in _phases.GroupBy(p => p.Source))
            Restore(group.ToList());
    }

    private void Restore(IReadOnlyList<RestorePhase> phases)
    {
        var target = Connections.From(Target, Credential);
        if (ReplaceDatabase.IsPresent)
        {
            Replace(phases, target);
            return;
        }
        var chosen = Phase.Length == 0 ? "all phases" : "phase " + string.Join(", ", Phase);
        if (!ShouldProcess($"database {target}", $"Restore {chosen} of {phases[0].Source}"))
            return;

        var options = BuildRestoreOptions(target, Force.IsPresent);

        var parent = new ProgressRecord(1, $"Restoring {phases[0].Source}", $"into {target}");
        var progress = new CallbackProgress<RestoreProgress>(p => OnPipeline(() =>
        {
            parent.PercentComplete = Math.Min(100, (p.Phase - 1) * 25 + p.PercentComplete / 4);
            parent.StatusDescription = $"phase {p.Phase} of 4: {p.PhaseName}";
            WriteProgress(parent);
            WriteProgress(new ProgressRecord(2, $"Phase {p.Phase} {p.PhaseName}", p.Activity.Length == 0 ? "working" : p.Activity)
            {
                ParentActivityId = 1,
                PercentComplete = p.PercentComplete,
            });
        }));

        IReadOnlyList<PhaseResult> results;
        try
        {
            options.Validate();
            results = RunEngine(ct => new PhaseRestorer(options, progress, m => OnPipeline(() => WriteVerbose(m))).RunAsync(phases, ct));
        }
        catch (Exception ex) when (ex is RestoreException or ArgumentException or InvalidOperationException or System.Data.Common.DbException
                                       or PgPhaseRestore.Engine.Storage.ArchiveSourceException)
        {
            ThrowTerminatingError(ErrorRecords.From(ex, target.ToString()));
            return;
        }
        finally
        {
            WriteProgress(new ProgressRecord(1, parent.Activity, "done") { RecordType = ProgressRecordType.Completed });
        }

        foreach (var result in results)
        {
            WriteObject(result);
            foreach (var error in result.Errors)
                WriteError(new ErrorRecord(new RestoreException(error.ToString()), "PgPhaseRestore.PhaseFailed", ErrorCategory.WriteError, result));
        }
    }

    private RestoreOptions BuildRestoreOptions(Engine.Tools.PgConnectionInfo target, bool force) => new()
    {
        Target = target,
        Phases = Phase,
        CreateDatabase = CreateDatabase.IsPresent,
        AllowNonEmptyTarget = AllowNonEmptyTarget.IsPresent,
        Resume = Resume.IsPresent,
        Force = force,
        NoOwner = NoOwner.IsPresent,
        NoPrivileges = SkipPrivileges.IsPresent,
        Role = Role,
        Jobs = Jobs,
        SessionSettings = SessionSettings.From(SessionSetting),
        StopOnError = !ContinueOnError.IsPresent,
        JournalPath = JournalPath is null ? null : ResolveLocation(JournalPath),
        PgRestorePath = PgRestorePath,
        Storage = ExplicitS3Settings(),
        StopStaleSessions = StopStaleSessions.IsPresent,
        AllowPooler = AllowPooler.IsPresent,
        SplitTableSize = SplitTableSize,
    };
}
