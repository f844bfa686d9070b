using System.Text.Json.Serialization;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Restore;

namespace PgPhaseRestore.Engine.Copy;

/// <summary>A backup, then the four-phase restore of exactly that backup into another database.</summary>
/// <param name="Backup">The backup made, as its manifest records it.</param>
/// <param name="Phases">The results of the restore of that backup.</param>
public sealed record CopyResult(BackupManifest Backup, IReadOnlyList<PhaseResult> Phases)
{
    /// <summary>Every phase succeeded or had nothing to do.</summary>
    public bool Succeeded => Phases.All(p => p.Status is PhaseStatus.Succeeded or PhaseStatus.Skipped);

    /// <summary>The database copied (the backup's); a column of the table view.</summary>
    [JsonIgnore]
    public string Database => Backup.Database;

    /// <summary>The database copied into, user@host:port/database; a column of the table view.</summary>
    [JsonIgnore]
    public string Target => Phases.Count > 0 ? Phases[0].Target : "";

    /// <summary>Where the backup of the copy is kept; a column of the table view.</summary>
    [JsonIgnore]
    public string Location => Backup.Location;
}
