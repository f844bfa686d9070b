using System.Management.Automation;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Reads the header and table of contents of pg_dump archives, with no pg_restore needed. An archive is a custom or
/// tar file, a directory-format folder or an s3://bucket/key object, of which only the front is fetched.
/// </summary>
/// <example>
/// <code>Get-PgDumpToc ./nightly.dump</code>
/// <para>The archive's header and entry count.</para>
/// </example>
/// <example>
/// <code>Get-PgDumpToc 's3://backups/app/nightly.dump' -ExpandEntries | Where-Object Type -eq 'INDEX'</code>
/// <para>The indexes of an archive in a bucket, read with ranged GETs of the TOC only.</para>
/// </example>
/// <example>
/// <code>Get-PgDumpToc ./nightly.dump -List</code>
/// <para>The same lines as pg_restore -l.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PgDumpToc", DefaultParameterSetName = ArchiveSet)]
[OutputType(typeof(DumpArchive), ParameterSetName = [ArchiveSet, LiteralArchiveSet])]
[OutputType(typeof(TocEntry), ParameterSetName = [EntrySet, LiteralEntrySet])]
[OutputType(typeof(string), ParameterSetName = [ListSet, LiteralListSet])]
public sealed class GetPgDumpTocCommand : PgStorageCmdletBase
{
    // What is written (the archive, its entries, its list) times how it is named (-Path or -LiteralPath).
    private const string ArchiveSet = "Archive";
    private const string EntrySet = "Entry";
    private const string ListSet = "List";
    private const string LiteralArchiveSet = "LiteralArchive";
    private const string LiteralEntrySet = "LiteralEntry";
    private const string LiteralListSet = "LiteralList";

    /// <summary>Archive locations: paths (wildcards allowed), directory-format folders or s3:// URIs (taken as written).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ArchiveSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = EntrySet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ListSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = [];

    /// <summary>Archive locations taken exactly as written: no character is a wildcard. Files from Get-ChildItem and backups from Get-PgBackup bind here.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralArchiveSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralEntrySet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralListSet)]
    [Alias("PSPath", "LP", "FullName", "Location", "Uri")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>Emit the TOC entries themselves, for filtering with Where-Object.</summary>
    [Parameter(Mandatory = true, ParameterSetName = EntrySet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralEntrySet)]
    public SwitchParameter ExpandEntries { get; set; }

    /// <summary>Emit the lines `pg_restore -l` prints, to diff or to save as a list file.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ListSet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralListSet)]
    public SwitchParameter List { get; set; }

    /// <summary>Reads the table of contents of each -Path; an unreadable one is reported and the next one goes on.</summary>
    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName.StartsWith("Literal", StringComparison.Ordinal);
        foreach (var given in literal ? LiteralPath : Path)
            foreach (var resolved in LocateArchives(given, literal))
                Read(resolved);
    }

    /// <summary>Reads one archive and writes it, its entries or its list; an unreadable one is reported.</summary>
    private void Read(Engine.Storage.ArchiveLocation resolved)
    {
        DumpArchive archive;
        try
        {
            WriteVerbose($"Reading the table of contents of {resolved}");
            archive = RunEngine(ct => ArchiveReader.ReadAsync(resolved, DebugFromEngine, ct));
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            WriteError(ErrorRecords.From(ex, resolved.Path));
            return;
        }

        if (List.IsPresent)
        {
            foreach (var line in RestoreList.Format(archive).Split('\n'))
                if (line.Length > 0)
                    WriteObject(line);
        }
        else if (ExpandEntries.IsPresent)
        {
            WriteObject(archive.Entries, enumerateCollection: true);
        }
        else
        {
            WriteObject(archive);
        }
    }
}
