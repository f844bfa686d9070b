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

    /// <summary>The selection in one line, as a list of the backup shows it: "whole database" when there is none.</summary>
    public override string ToString()
    {
        var parts = new[]
        {
            ("schemas", Schemas), ("schemas left out", ExcludeSchemas), ("tables", Tables), ("tables left out", ExcludeTables),
            ("tables without rows", ExcludeTableData),
        }.Where(p => p.Item2.Count > 0).Select(p => $"{p.Item1} {string.Join(", ", p.Item2)}").ToList();
        return parts.Count == 0 ? "whole database" : string.Join("; ", parts);
    }
}
