using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Bytes of a data phase as stored in the archive (compressed, when it is): done (committed tables, or streamed from a
/// bucket), the phase's total, the rate this run has loaded at, and the time left at that rate when it can be told.
/// </summary>
/// <param name="BytesDone">Bytes of the phase's data done, as stored in the archive.</param>
/// <param name="BytesTotal">Bytes of all the phase's data, as stored in the archive.</param>
/// <param name="BytesPerSecond">The rate this run has loaded at so far.</param>
/// <param name="Remaining">The time left at that rate, when it can be told.</param>
public sealed record DataProgress(long BytesDone, long BytesTotal, double BytesPerSecond, TimeSpan? Remaining)
{
    /// <summary>"12.0 MiB of 40.0 MiB (30%) at 5.0 MiB/s, about 6 s left".</summary>
    public override string ToString()
    {
        var text = $"{SizeText.Format(BytesDone)} of {SizeText.Format(BytesTotal)} ({(BytesTotal > 0 ? BytesDone * 100 / BytesTotal : 0)}%)";
        if (BytesPerSecond > 0)
            text += $" at {SizeText.Format((long)BytesPerSecond)}/s";
        if (Remaining is { } left)
            text += $", about {(left.TotalSeconds < 90 ? $"{Math.Ceiling(left.TotalSeconds):0} s" : left.TotalMinutes < 90 ? $"{Math.Ceiling(left.TotalMinutes):0} min" : $"{left.TotalHours:0.#} h")} left";
        return text;
    }
}
