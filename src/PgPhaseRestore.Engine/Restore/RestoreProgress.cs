namespace PgPhaseRestore.Engine.Restore;

/// <summary>Progress of a running restore, reported per phase and per item.</summary>
/// <param name="Phase">1 schema, 2 indexes, 3 data, 4 post-data.</param>
/// <param name="PhaseName">Schema, Indexes, Data or PostData.</param>
/// <param name="ItemsDone">Entries (phase 3: tables) done so far.</param>
/// <param name="ItemsTotal">Entries (phase 3: tables) in the phase.</param>
/// <param name="Activity">What is happening now, in words.</param>
public sealed record RestoreProgress(int Phase, string PhaseName, int ItemsDone, int ItemsTotal, string Activity)
{
    /// <summary>Phase, status, duration, entries and errors on one line.</summary>
    /// <summary>Items of the phase done, as a percentage; by bytes in the data phase when the archive gives sizes.</summary>
    public int PercentComplete => Data is { BytesTotal: > 0 } d ? (int)Math.Min(100, d.BytesDone * 100 / d.BytesTotal)
        : ItemsTotal <= 0 ? 0 : Math.Min(100, ItemsDone * 100 / ItemsTotal);

    /// <summary>In the data phase, bytes done and to do with a rate and the time left; null in other phases or without sizes.</summary>
    public DataProgress? Data { get; init; }
}
