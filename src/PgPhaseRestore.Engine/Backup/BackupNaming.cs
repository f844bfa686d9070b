using System.Globalization;

namespace PgPhaseRestore.Engine.Backup;

/// <summary>What a backup and the files beside it are called: its location under a destination, and its lock's name.</summary>
internal static class BackupNaming
{
    /// <summary>Appended to a backup's location to name its lock.</summary>
    public const string LockSuffix = ".pgphase-lock";

    /// <summary>Where a backup of <paramref name="database"/> goes: the destination itself, or under it when it ends with a slash.</summary>
    public static string ResolveDestination(string destination, string database, string? backupName, BackupFormat format, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(destination))
            throw new PgPhaseException("a backup destination is required: a file, a folder, or s3://bucket/key (ending in / for one key per database)", PgPhaseErrorCode.InvalidInput);
        if (!destination.EndsWith('/') && !destination.EndsWith(Path.DirectorySeparatorChar))
            return destination;
        var name = string.IsNullOrWhiteSpace(backupName) ? now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) : backupName;
        var safeDatabase = database.Replace('/', '_').Replace('\\', '_');
        return $"{destination}{safeDatabase}/{name}{(format == BackupFormat.Custom ? ".dump" : "")}";
    }
}
