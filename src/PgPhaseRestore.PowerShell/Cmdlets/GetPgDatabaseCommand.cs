using System.Management.Automation;
using PgPhaseRestore.Engine.Servers;
using PgPhaseRestore.PowerShell.Completers;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Lists a server's databases (templates and databases that refuse connections left out unless asked for).
/// Each result binds by property name to Backup-PgDatabase and Copy-PgDatabase.
/// </summary>
/// <example>
/// <code>Get-PgDatabase -ServerConnection 'host=db.example.com sslmode=require' -ServerCredential (Get-Credential)</code>
/// <para>Lists the databases a user may connect to, with their sizes and owners.</para>
/// </example>
/// <example>
/// <code>Get-PgDatabase -ServerConnection 'host=db.example.com' -ServerCredential $cred -Exclude 'rdsadmin','postgres' | Backup-PgDatabase -Path 's3://backups/nightly/' -SourceCredential $cred</code>
/// <para>Backs up every database of the server, each to its own key.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PgDatabase")]
[OutputType(typeof(DatabaseInfo))]
public sealed class GetPgDatabaseCommand : PgCmdletBase
{
    /// <summary>Database names; wildcards allowed. Default: all. A name without * or ? that matches no database is an ObjectNotFound error.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary>Leave out databases whose names match these wildcards.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    public string[] Exclude { get; set; } = [];

    /// <summary>The server as a libpq string or URI (PG* variables fill the rest). No password here: use -ServerCredential.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Server", "Source", "ConnectionString")]
    [ConnectionText]
    public string? ServerConnection { get; set; }

    /// <summary>User name and password for the server.</summary>
    [Parameter]
    [Credential]
    [Alias("Credential")]
    public PSCredential? ServerCredential { get; set; }

    /// <summary>Also list templates and databases that refuse connections (they cannot be backed up).</summary>
    [Parameter]
    public SwitchParameter IncludeTemplates { get; set; }

    /// <summary>Lists the server's databases that the filters keep.</summary>
    protected override void ProcessRecord()
    {
        var filter = new DatabaseFilter { Names = Name, ExcludeNames = Exclude, IncludeTemplates = IncludeTemplates.IsPresent };
        try
        {
            var server = Connections.From(ServerConnection, ServerCredential);
            var found = RunEngine(ct => ServerDatabases.ListAsync(server, filter, ct));
            foreach (var db in found)
                WriteObject(db);
            // A name meant as such that lists nothing would otherwise pass silently down a pipeline (| Backup-PgDatabase).
            // A name asked for and excluded is no surprise when it is not listed.
            foreach (var name in Name.Where(n => !DatabaseFilter.IsPattern(n) && !found.Any(db => db.Name == n) && !filter.Excludes(n)))
                WriteError(ErrorRecords.NotFound($"No database named \"{name}\" on {server.Host}:{server.Port}.", name,
                    "Check -Name: a name without * or ? is matched exactly, case included; templates and databases that refuse connections are listed with -IncludeTemplates."));
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            WriteError(ErrorRecords.From(ex, Connections.Shown(ServerConnection)));
        }
    }
}
