namespace PgPhaseRestore.Engine.Backup;

/// <summary>A table (or materialized view) of the source at backup time.</summary>
/// <param name="Schema">The table's schema.</param>
/// <param name="Name">Its name.</param>
/// <param name="Kind">"table", "partitioned table" or "materialized view".</param>
/// <param name="TotalBytes">Its size with indexes and TOAST.</param>
/// <param name="TableBytes">Its size without indexes.</param>
/// <param name="RowEstimate">The planner's estimate of its rows, when the table had been analyzed.</param>
public sealed record TableStats(string Schema, string Name, string Kind, long TotalBytes, long TableBytes, long? RowEstimate)
{
    /// <summary>One line, as a list of them shows it: "app.orders (table, 1.2 GiB, about 3,000,000 rows)".</summary>
    public override string ToString() =>
        $"{Schema}.{Name} ({Kind}, {Storage.SizeText.Format(TotalBytes)}{(RowEstimate is { } rows ? $", about {rows:N0} rows" : "")})";
}
