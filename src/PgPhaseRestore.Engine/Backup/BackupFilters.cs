namespace PgPhaseRestore.Engine.Backup;

/// <summary>The pg_dump selection the backup was made with (empty: everything).</summary>
public sealed class BackupFilters
{
    /// <summary>Only these schemas (pg_dump -n).</summary>
    public IReadOnlyList<string> Schemas { get; init; } = [];

    /// <summary>Schemas left out (pg_dump -N).</summary>
    public IReadOnlyList<string> ExcludeSchemas { get; init; } = [];

    /// <summary>Only these tables (pg_dump -t).</summary>
    public IReadOnlyList<string> Tables { get; init; } = [];

    /// <summary>Tables left out (pg_dump -T).</summary>
    public IReadOnlyList<string> ExcludeTables { get; init; } = [];

    /// <summary>Tables dumped without their rows (pg_dump --exclude-table-data).</summary>
    public IReadOnlyList<string> ExcludeTableData { get; init; } = [];
}
