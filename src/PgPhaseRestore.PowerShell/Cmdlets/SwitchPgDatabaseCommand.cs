using System.Management.Automation;
using PgPhaseRestore.Engine.Swap;
using PgPhaseRestore.PowerShell.Completers;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Puts one database in another's place on the same server. The replacement takes the live name and the live
/// database moves to &lt;name&gt;__before_&lt;UTC time&gt;, both renames in one transaction, with the live database's
/// settings, comment, grants and connection limit carried over. -Undo swaps back. Every step is journaled: an
/// interrupted swap is finished (or, with -Undo, rolled back) by running the command again.
/// </summary>
/// <example>
/// <code>Switch-PgDatabase -ServerConnection 'host=db.example.com' -ServerCredential $cred -Database app -Replacement app__pgphase_20250101120000 -Force -Confirm:$false</code>
/// <para>Ends the sessions on app, then app__pgphase_20250101120000 becomes app and the old app becomes app__before_&lt;time&gt;. A swap asks first (High impact) unless -Confirm:$false says not to, as a runbook must.</para>
/// </example>
/// <example>
/// <code>Switch-PgDatabase -ServerConnection 'host=db.example.com' -ServerCredential $cred -Database app -Replacement app_fixed -WhatIf</code>
/// <para>Shows the renames, what would be carried and the sessions in the way, and changes nothing.</para>
/// </example>
/// <example>
/// <code>Switch-PgDatabase -ServerConnection 'host=db.example.com' -ServerCredential $cred -Database app -Undo -Confirm:$false</code>
/// <para>Swaps back: the database the last swap put aside is app again.</para>
/// </example>
[Cmdlet(VerbsCommon.Switch, "PgDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = SwapSet)]
[OutputType(typeof(SwapResult))]
public sealed class SwitchPgDatabaseCommand : PgCmdletBase
{
    private const string SwapSet = "Swap";
    private const string UndoSet = "Undo";

    /// <summary>The live name: the database that holds it moves aside and the replacement takes it.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("Name", "Live")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    public string Database { get; set; } = "";

    /// <summary>The database that takes the live name; with -Undo, the one to bring back (default: what the last swap put aside).</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = SwapSet)]
    [Parameter(Position = 1, ParameterSetName = UndoSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    public string? Replacement { get; set; }

    /// <summary>Swap back: the database the last swap put aside takes the live name again; an interrupted swap is rolled back.</summary>
    [Parameter(Mandatory = true, ParameterSetName = UndoSet)]
    public SwitchParameter Undo { get; set; }

    /// <summary>The server as a libpq string or URI (PG* variables fill the rest); its dbname is ignored. No password here: use -ServerCredential.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Server", "ConnectionString")]
    [ConnectionText]
    public string? ServerConnection { get; set; }

    /// <summary>User name and password: an owner of both databases with CREATEDB, as PostgreSQL requires for renaming.</summary>
    [Parameter]
    [Credential]
    [Alias("Credential")]
    public PSCredential? ServerCredential { get; set; }

    /// <summary>Name for the database leaving the live name (default: &lt;name&gt;__before_&lt;UTC yyyyMMddHHmmss&gt;; with -Undo, its name before the swap).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? AsideName { get; set; }

    /// <summary>Block new connections to the databases being renamed and end their sessions, instead of refusing while anyone is connected.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Do not carry the live database's settings, comment, grants and connection limit to the replacement.</summary>
    [Parameter(ParameterSetName = SwapSet)]
    public SwitchParameter NoCarry { get; set; }

    /// <summary>The swap journal (default: one per server and live name under PGPHASE_JOURNAL_DIR or the user's local application data).</summary>
    [Parameter]
    public string? JournalPath { get; set; }

    /// <summary>Plans the swap or undo, asks as ShouldProcess says, and runs it.</summary>
    protected override void ProcessRecord()
    {
        try
        {
            var options = new SwapOptions
            {
                Server = Connections.From(ServerConnection, ServerCredential),
                Database = Database,
                Replacement = Replacement,
                Undo = Undo.IsPresent,
                Force = Force.IsPresent,
                AsideName = AsideName,
                CarrySettings = !NoCarry.IsPresent,
                JournalPath = JournalPath is null ? null : ResolveLocation(JournalPath),
            };
            var plan = RunEngine(ct => DatabaseSwap.PlanAsync(options, ct));
            foreach (var note in plan.Notes)
                WriteWarning(note);
            if (!HighImpact.Ask(this, Database, () => ShouldProcess($"database \"{Database}\" on {plan.Server}", plan.Describe())))
                return;
            var result = RunEngine(ct => DatabaseSwap.RunAsync(plan, VerboseFromEngine, ct));
            foreach (var refused in result.NotCarried)
                WriteWarning($"not carried: {refused}");
            WriteObject(result);
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            ThrowTerminatingError(ErrorRecords.From(ex, Database));
        }
    }
}
