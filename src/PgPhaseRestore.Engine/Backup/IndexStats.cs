namespace PgPhaseRestore.Engine.Backup;

/// <summary>An index of the source at backup time.</summary>
/// <param name="Schema">The index's schema.</param>
/// <param name="Table">The table it is on.</param>
/// <param name="Name">Its name.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="IsUnique">Whether it is unique.</param>
/// <param name="IsPrimary">Whether it backs the primary key.</param>
/// <param name="KeyBytes">The average width of its columns' values from the source's statistics, when every column had them.</param>
public sealed record IndexStats(string Schema, string Table, string Name, long Bytes, bool IsUnique, bool IsPrimary, double? KeyBytes = null)
{
    /// <summary>
    /// The source's statistics' correlation between its first key column (ascending, nulls last, a column not an
    /// expression) and the table's physical order, the order pg_dump writes the rows in: 1 when they lie in the key's
    /// order. Null when there is none (an expression, a descending key, never analyzed, or a manifest made before it
    /// was recorded).
    /// </summary>
    public double? FirstKeyCorrelation { get; init; }

    /// <summary>One line, as a list of them shows it: "app.orders_pkey on orders (primary key, 64 MiB)".</summary>
    public override string ToString() =>
        $"{Schema}.{Name} on {Table} ({(IsPrimary ? "primary key, " : IsUnique ? "unique, " : "")}{Storage.SizeText.Format(Bytes)})";
}
