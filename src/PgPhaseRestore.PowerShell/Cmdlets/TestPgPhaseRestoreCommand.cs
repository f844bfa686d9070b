using System.Management.Automation;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Verification;
using PgPhaseRestore.PowerShell.Infrastructure;

namespace PgPhaseRestore.PowerShell.Cmdlets;

/// <summary>
/// Checks a restored database against its archive and reports what differs. Every index, constraint, trigger and
/// policy of the archive must exist and be valid in the target; with -SourceConnection, every table's row count must
/// also match the source database. The differences come back as objects, and a target that differs also writes an
/// error, so that a script stops on it; -Quiet returns only $true or $false.
/// </summary>
/// <example>
/// <code>Test-PgPhaseRestore -Path ./nightly.dump -TargetConnection 'host=db.example.com dbname=app_copy' -TargetCredential $cred</code>
/// <para>Checks that every index is valid and every constraint, trigger and policy of the archive is present.</para>
/// </example>
/// <example>
/// <code>Test-PgPhaseRestore -Path ./nightly.dump -TargetConnection 'dbname=app_copy' -SourceConnection 'host=prod.example.com dbname=app' -SourceCredential $src -RowCount Exact</code>
/// <para>Also compares exact row counts with the source.</para>
/// </example>
/// <example>
/// <code>if (-not (Test-PgPhaseRestore -Path ./nightly.dump -TargetConnection 'host=db.example.com dbname=app_copy' -TargetCredential $cred -Quiet)) { throw 'app_copy differs from nightly.dump' }</code>
/// <para>Only the verdict, as $true or $false, for a condition.</para>
/// </example>
[Cmdlet(VerbsDiagnostic.Test, "PgPhaseRestore", DefaultParameterSetName = ArchiveSet)]
[OutputType(typeof(VerificationResult), typeof(bool))]
public sealed class TestPgPhaseRestoreCommand : PgStorageCmdletBase
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";
    private const string ArchiveSet = "Archive";

    /// <summary>An archive from Get-PgDumpToc.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ArchiveSet)]
    public DumpArchive? Archive { get; set; }

    /// <summary>The archive the target was restored from: file or folder (wildcards allowed: the target is checked against each match), or s3://bucket/key (taken as written).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [PipelinePath]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The archive the target was restored from, taken exactly as written: no character is a wildcard. Files from Get-ChildItem and backups from Get-PgBackup bind here.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP", "FullName", "Location", "Uri")]
    [ValidateNotNullOrEmpty]
    public string LiteralPath { get; set; } = "";

    /// <summary>The restored database as a libpq string or URI. No password here: use -TargetCredential.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Target")]
    [ValidateNotNullOrEmpty]
    [ConnectionText]
    public string TargetConnection { get; set; } = "";

    /// <summary>User name and password for the target.</summary>
    [Parameter]
    [Credential]
    public PSCredential? TargetCredential { get; set; }

    /// <summary>The source database, for row counts, as a libpq string or URI. No password here: use -SourceCredential. Without it no row is counted; a table the archive (a local file or folder) holds rows for that is empty in the target is still a difference.</summary>
    [Parameter]
    [Alias("Source")]
    [ValidateNotNullOrEmpty]
    [ConnectionText]
    public string? SourceConnection { get; set; }

    /// <summary>User name and password for the source.</summary>
    [Parameter]
    [Credential]
    public PSCredential? SourceCredential { get; set; }

    /// <summary>How to compare row counts with the source: None, Estimate (default) or Exact.</summary>
    [Parameter]
    public RowCountMode RowCount { get; set; } = RowCountMode.Estimate;

    /// <summary>Return only $true when the target matches and $false when it does not, with no mismatch error, like Test-Connection -Quiet.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    private bool _warnedNoSource;

    /// <summary>Verifies the target against the archive (each archive -Path names) and writes the result; differences are in its Differences.</summary>
    protected override void ProcessRecord()
    {
        // Rows are counted against the source: asked for without one, say so (once) rather than pass in silence.
        if (!_warnedNoSource && SourceConnection is null && RowCount != RowCountMode.None && MyInvocation.BoundParameters.ContainsKey(nameof(RowCount)))
        {
            _warnedNoSource = true;
            WriteWarning($"-RowCount {RowCount} counts rows against the source database: without -SourceConnection no rows are counted: the objects are checked, and that no table the archive holds rows for is empty.");
        }
        if (Archive is not null)
        {
            Verify(Archive, null);
            return;
        }
        bool literal = ParameterSetName == LiteralPathSet;
        foreach (var location in LocateArchives(literal ? LiteralPath : Path, literal))
            Verify(null, location);
    }

    private void Verify(DumpArchive? given, Engine.Storage.ArchiveLocation? location)
    {
        try
        {
            var target = Connections.From(TargetConnection, TargetCredential);
            var source = SourceConnection is null ? null : Connections.From(SourceConnection, SourceCredential);
            var result = RunEngine(async ct =>
            {
                var archive = given ?? await ArchiveReader.ReadAsync(location!, ct).ConfigureAwait(false);
                return await RestoreVerifier.VerifyAsync(archive, target, source, RowCount, ct).ConfigureAwait(false);
            });
            foreach (var note in result.Notes)
                WriteWarning(note);
            if (Quiet.IsPresent)
            {
                WriteObject(result.IsMatch);
                return;
            }
            WriteObject(result);
            // A mismatch is a failure a script must notice ($?, -ErrorAction Stop), with the differences still at hand.
            if (!result.IsMatch)
                WriteError(ErrorRecords.From(result));
        }
        catch (Exception ex) when (ErrorRecords.IsReported(ex))
        {
            WriteError(ErrorRecords.From(ex, Connections.Shown(TargetConnection)));
        }
    }
}
