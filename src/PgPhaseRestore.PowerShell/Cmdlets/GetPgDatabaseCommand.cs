using System.Management.Automation;
using PgPhaseRestore.Engine.Servers;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Lists a server's databases (templates and databases that refuse connections left out unless asked for).
/// Each result binds by property name to Backup-PgDatabase and Copy-PgDatabase.
/// </summary>
[Cmdlet(VerbsCommon.Get, "PgDatabase")]
[OutputType(typeof(DatabaseInfo))]
public sealed class GetPgDatabaseCommand : PgCmdletBase
{
    /// <summary>Database names; wildcards allowed. Default: all.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string[] Name { get; set; } = [];

    [Parameter]
    [SupportsWildcards]
    public string[] Exclude { get; set; } = [];

    /// <summary>The server as a libpq string or URI (PG* variables fill the rest). No password here: use -Credential.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Source", "ConnectionString")]
    public string? Server { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    [Parameter]
    public SwitchParameter IncludeTemplates { get; set; }

    protected override void ProcessRecord()
    {
        var server = Connections.From(Server, Credential);
        var filter = new DatabaseFilter { Names = Name, ExcludeNames = Exclude, IncludeTemplates = IncludeTemplates.IsPresent };
        try
        {
            foreach (var db in RunEngine(ct => ServerDatabases.ListAsync(server, filter, ct)))
                WriteObject(db);
        }
        catch (Exception ex) when (ErrorRecords.IsPerDatabase(ex))
        {
            WriteError(ErrorRecords.From(ex, server.ToString()));
        }
    }
}
