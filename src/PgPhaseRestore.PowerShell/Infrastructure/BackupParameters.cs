using System.Management.Automation;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>The backup side of Backup-PgDatabase and Copy-PgDatabase: what <see cref="BackupParameters.ToOptions"/> reads.</summary>
internal interface IBackupParameters
{
    string SourceConnection { get; }
    string? Database { get; }
    PSCredential? SourceCredential { get; }
    string Path { get; }
    string? BackupName { get; }
    BackupFormat Format { get; }
    int DumpJobs { get; }
    string? Compression { get; }
    string[] ExcludeTableData { get; }
    TimeSpan? LockWaitTimeout { get; }
    SwitchParameter SkipChecks { get; }
    string? PgDumpPath { get; }
    long PartSize { get; }
    long MaxPartSize { get; }
    int MaxParts { get; }
    int PartsInFlight { get; }
}

/// <summary>
/// pg_dump's selection, on Backup-PgDatabase only: Copy-PgDatabase selects once, with the archive filters of
/// Invoke-PgPhaseRestore, for its dump and its restore alike.
/// </summary>
internal interface IDumpSelectionParameters
{
    string[] Schema { get; }
    string[] ExcludeSchema { get; }
    string[] Table { get; }
    string[] ExcludeTable { get; }
}

/// <summary>One mapping from the backup parameters to the engine's options, whichever cmdlet declared them.</summary>
internal static class BackupParameters
{
    public static BackupOptions ToOptions(IBackupParameters p, S3Settings s3, Func<string, string> resolveLocation, bool force)
    {
        var source = Connections.From(p.SourceConnection, p.SourceCredential);
        if (!string.IsNullOrEmpty(p.Database))
            source = source.WithDatabase(p.Database);
        var selection = p as IDumpSelectionParameters;
        var options = new BackupOptions
        {
            Source = source,
            Destination = ResolveDestination(p.Path, resolveLocation),
            BackupName = p.BackupName,
            Format = p.Format,
            Jobs = p.DumpJobs,
            Compression = p.Compression,
            Schemas = selection?.Schema ?? [],
            ExcludeSchemas = selection?.ExcludeSchema ?? [],
            Tables = selection?.Table ?? [],
            ExcludeTables = selection?.ExcludeTable ?? [],
            ExcludeTableData = p.ExcludeTableData,
            LockWaitTimeout = p.LockWaitTimeout,
            Force = force,
            SkipChecks = p.SkipChecks.IsPresent,
            PgDumpPath = p.PgDumpPath,
            Storage = s3,
            Multipart = new MultipartOptions
            {
                InitialPartSize = p.PartSize, MaxPartSize = p.MaxPartSize, MaxParts = p.MaxParts, PartsInFlight = p.PartsInFlight, Retries = s3.MaxRetries,
            },
        };
        options.Validate();
        return options;
    }

    /// <summary>A PowerShell path resolved, keeping a trailing separator (it means "a prefix").</summary>
    private static string ResolveDestination(string destination, Func<string, string> resolveLocation)
    {
        var resolved = resolveLocation(destination);
        bool prefix = destination.EndsWith('/') || destination.EndsWith('\\');
        return prefix && !resolved.EndsWith('/') && !resolved.EndsWith(System.IO.Path.DirectorySeparatorChar) ? resolved + System.IO.Path.DirectorySeparatorChar : resolved;
    }

    public static ProgressRecord ProgressRecord(BackupProgress p) => new(1, $"Backing up {p.Database}", $"{SizeText.Format(p.Bytes)} at {SizeText.Format((long)p.BytesPerSecond)}/s")
    {
        CurrentOperation = $"{p.Destination}: {p.Activity}",
    };
}
