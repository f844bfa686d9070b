using System.Management.Automation;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Verification;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Checks a restored database against its archive: every index, constraint, trigger and policy exists and is
/// valid; with -Source, every table's row count matches the source database. Differences come back as objects.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "PgPhaseRestore", DefaultParameterSetName = PathSet)]
[OutputType(typeof(VerificationResult))]
public sealed class TestPgPhaseRestoreCommand : PgStorageCmdletBase
{
    private const string PathSet = "Path";
    private const string ArchiveSet = "Archive";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ArchiveSet)]
    public DumpArchive? Archive { get; set; }

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [Alias("FullName", "Location", "Uri")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Target { get; set; } = "";

    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>The source database, for row counts.</summary>
    [Parameter]
    public string? Source { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? SourceCredential { get; set; }

    [Parameter]
    public RowCountMode RowCount { get; set; } = RowCountMode.Estimate;

    protected override void ProcessRecord()
    {
        try
        {
            var target = Connections.From(Target, Credential);
            var source = Source is null ? null : Connections.From(Source, SourceCredential);
            var location = Archive is null ? ResolveLocation(Path) : null;
            var s3 = BuildS3Settings();
            var result = RunEngine(async ct =>
            {
                var archive = Archive ?? await ArchiveReader.ReadAsync(location!, s3, ct).ConfigureAwait(false);
                return await RestoreVerifier.VerifyAsync(archive, target, source, RowCount, ct).ConfigureAwait(false);
            });
            foreach (var note in result.Notes)
                WriteWarning(note);
            WriteObject(result);
        }
        catch (Exception ex) when (ErrorRecords.IsPerInput(ex) || ex is System.Data.Common.DbException)
        {
            WriteError(ErrorRecords.From(ex, Target));
        }
    }
}
