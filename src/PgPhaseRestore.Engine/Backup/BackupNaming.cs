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
        // To the millisecond: a script that backs a database up twice in one second gets two backups, not a refusal.
        var name = string.IsNullOrWhiteSpace(backupName) ? now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'.'fff'Z'", CultureInfo.InvariantCulture) : backupName;
        CheckName(name);
        return $"{destination}{FolderOf(database)}/{name}{(format == BackupFormat.Custom ? ".dump" : "")}";
    }

    /// <summary>A backup's name is one level under its database's folder: it never climbs out of it, nor into another's.</summary>
    public static void CheckName(string? name)
    {
        if (name is not null && (name.Contains('/') || name.Contains('\\') || name is "." or ".."))
            throw PgPhaseException.OfOption(nameof(BackupOptions.BackupName), $"backup name \"{name}\": a backup name is one level under its database's folder: no / or \\, and not . or ..", PgPhaseErrorCode.InvalidInput);
    }

    /// <summary>
    /// A database's folder under a prefix: its name, with %, / and \ written as %25, %2F and %5C, and "." and ".."
    /// as %2E and %2E%2E, so that no name climbs out of the prefix and no two names share a folder ("a/b" and
    /// "a_b" are two databases, and two folders).
    /// </summary>
    internal static string FolderOf(string database) => database switch
    {
        "." => "%2E",
        ".." => "%2E%2E",
        _ => database.Replace("%", "%25", StringComparison.Ordinal).Replace("/", "%2F", StringComparison.Ordinal).Replace("\\", "%5C", StringComparison.Ordinal),
    };
}
