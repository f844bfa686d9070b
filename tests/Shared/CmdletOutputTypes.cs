namespace PgPhaseRestore.Tests.Shared;

/// <summary>
/// Every type a cmdlet declares with [OutputType]. The PowerShell contract tests hold the cmdlets to this list; the
/// output-secret test serialises an instance of each, so a new output type cannot escape that test.
/// </summary>
internal static class CmdletOutputTypes
{
    public static readonly IReadOnlyList<string> All =
    [
        "PgPhaseRestore.Engine.Archive.DumpArchive",
        "PgPhaseRestore.Engine.Archive.TocEntry",
        "PgPhaseRestore.Engine.Backup.BackupManifest",
        "PgPhaseRestore.Engine.Copy.CopyResult",
        "PgPhaseRestore.Engine.Planning.RestorePhase",
        "PgPhaseRestore.Engine.Replace.ReplaceResult",
        "PgPhaseRestore.Engine.Restore.PhaseResult",
        "PgPhaseRestore.Engine.Servers.DatabaseInfo",
        "PgPhaseRestore.Engine.Swap.SwapResult",
        "PgPhaseRestore.Engine.Verification.VerificationResult",
        "System.Boolean",
        "System.String",
    ];
}
