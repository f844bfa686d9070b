using System.Diagnostics;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Bytes of a data phase done and to do, as stored in the archive, with a rate and an estimate of the time left.
/// A table counts once it committed; a phase fed from a bucket counts the bytes streamed so far, which is finer.
/// Without sizes (a pipe-written local archive) there is nothing to measure and no estimate is made.
/// </summary>
internal sealed class DataMeter
{
    private readonly Dictionary<int, long> _sizes;
    private readonly HashSet<int> _counted = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private readonly long _alreadyDone;
    private long _done;
    private (long Done, long Total)? _streamed;

    private DataMeter(Dictionary<int, long> sizes, long total, long alreadyDone)
    {
        _sizes = sizes;
        Total = total;
        _alreadyDone = alreadyDone;
    }

    /// <summary>Bytes of every table of the phase, those an earlier run committed included.</summary>
    public long Total { get; }

    /// <summary>A meter over the tables still to load, counting those loaded earlier as done; null when neither the archive nor a stream gives sizes.</summary>
    public static DataMeter? For(RestorePhase phase, IReadOnlyCollection<TocEntry> toLoad, IReadOnlyDictionary<int, long> archiveSizes, bool streamed)
    {
        var sizes = archiveSizes.ToDictionary(p => p.Key, p => p.Value);
        var phaseIds = phase.Entries.Select(e => e.DumpId).Where(sizes.ContainsKey).ToHashSet();
        if (phaseIds.Count == 0 && !streamed)
            return null;
        var pending = toLoad.Select(e => e.DumpId).ToHashSet();
        long total = phaseIds.Sum(id => sizes[id]);
        long earlier = phaseIds.Where(id => !pending.Contains(id)).Sum(id => sizes[id]);
        return new DataMeter(sizes, total, earlier);
    }

    /// <summary>A table committed.</summary>
    public void Committed(int dumpId)
    {
        lock (_gate)
        {
            if (_sizes.TryGetValue(dumpId, out long size) && _counted.Add(dumpId))
                _done += size;
        }
    }

    /// <summary>The phase's single stream has delivered this much of the object.</summary>
    public void Streamed(long done, long total)
    {
        lock (_gate)
            _streamed = (done, total);
    }

    /// <summary>The phase's data done so far; null while its total is not known.</summary>
    public DataProgress? Snapshot()
    {
        lock (_gate)
        {
            var (done, total) = _streamed is { } s ? s : (_alreadyDone + _done, Total);
            if (total <= 0)
                return null; // not known yet (a stream whose length is still to come): "0 B of 0 B" would say nothing
            long thisRun = _streamed is not null ? done : _done;
            double seconds = _clock.Elapsed.TotalSeconds;
            double rate = seconds > 0 ? thisRun / seconds : 0;
            TimeSpan? left = rate > 0 && done <= total ? TimeSpan.FromSeconds((total - done) / rate) : null;
            return new DataProgress(Math.Min(done, total), total, rate, left);
        }
    }
}
