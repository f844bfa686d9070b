using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Follows pg_restore's verbose stderr for one phase: progress, errors with their TOC entry, and in the data
/// phase which tables have committed, recorded in the journal as they do.
/// </summary>
/// <remarks>
/// A table is done only once its rows are committed. One pg_restore loads tables one after another, each COPY
/// committing on its own, so a table is done when the next item starts (or pg_restore exits 0). With parallel
/// jobs, workers announce what they start and the leader announces "finished item N" after the worker's COPY
/// has committed; only that counts, and never for an item an error was reported on.
/// </remarks>
internal sealed partial class PhaseOutputTracker
{
    private readonly RestorePhase _phase;
    private readonly RestoreJournal _journal;
    private readonly bool _parallel;
    private readonly int _total;
    private readonly Action<int, int, string> _report;
    private readonly Action<string>? _log;
    private readonly PgRestoreOutput _output = new();
    private readonly Dictionary<string, TocEntry> _tablesByName;
    private readonly HashSet<int> _failed = [];
    private readonly object _gate = new();
    private readonly Action<int>? _committed;
    private TocEntry? _loading;
    // With parallel jobs: the items the leader launched and has not seen finish, by dump id.
    private readonly SortedSet<int> _inFlight = [];
    private int _itemsDone;

    public PhaseOutputTracker(RestorePhase phase, IReadOnlyList<TocEntry> entries, RestoreJournal journal, bool parallel,
        Action<int, int, string> report, Action<string>? log, Action<int>? committed = null)
    {
        _committed = committed;
        _phase = phase;
        _journal = journal;
        _parallel = parallel;
        _total = entries.Count;
        _report = report;
        _log = log;
        // "schema.name" is how pg_restore names the table it loads; a name two tables share (dots inside names) is
        // ambiguous, so neither is recorded from it (a resume reloads them).
        _tablesByName = entries.Where(e => e.Type == "TABLE DATA").GroupBy(e => $"{e.Schema}.{e.Name}").Where(g => g.Count() == 1)
            .ToDictionary(g => g.Key, g => g.First());
    }

    public IReadOnlyList<RestoreError> Errors => _output.Errors;

    /// <summary>Tables this run committed.</summary>
    public int TablesLoaded => _recorded.Count;

    /// <summary>The tables this run recorded in the journal.</summary>
    public IReadOnlyCollection<int> Recorded => _recorded;

    private readonly List<int> _recorded = [];
    private bool _parallelError;

    public void OnLine(string line)
    {
        lock (_gate)
        {
            var (kind, name, dumpId) = _output.Parse(line);
            switch (kind)
            {
                case PgRestoreOutput.Kind.TableDataStarted:
                    if (!_parallel)
                    {
                        CompleteLoading();
                        _loading = name is not null ? _tablesByName.GetValueOrDefault(name) : null;
                        Step($"loading table {name}");
                    }
                    else
                        Report($"loading table {name}");
                    break;
                case PgRestoreOutput.Kind.ItemStarted when _parallel && Launched().Match(line) is { Success: true } launched:
                    _inFlight.Add(int.Parse(launched.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case PgRestoreOutput.Kind.ItemFinished when dumpId is { } id && _parallel:
                    var finished = _phase.Archive.FindByDumpId(id);
                    _inFlight.Remove(id);
                    // Workers' error lines interleave, so once any error was reported no later finish is trusted.
                    if (finished?.Type == "TABLE DATA" && !_failed.Contains(id) && !_parallelError)
                        CompleteTable(id);
                    Step($"finished {finished?.Type} {finished?.QualifiedName}");
                    break;
                case PgRestoreOutput.Kind.ItemStarted when !_parallel:
                    CompleteLoading();
                    Step(name!["pg_restore: ".Length..]);
                    break;
                case PgRestoreOutput.Kind.Error:
                    _parallelError |= _parallel;
                    // Reading a table's data (a damaged block, say) fails without naming an entry: one at a time, it
                    // is the table being loaded, and the archive is named, for a loop over many.
                    var last = _output.Last;
                    if (!_parallel && _loading is not null && last.DumpId is null)
                        _output.Attribute(_loading, $"{last.Message} (pg_restore reading {_phase.Archive.Source})");
                    // In parallel, the item a worker ran when only one ran; else every one that did.
                    else if (_parallel && last.DumpId is null && !PgRestoreOutput.IsConsequence(last) && InFlight() is { Count: > 0 } running)
                    {
                        if (running is [var only])
                            _output.Attribute(only, $"{last.Message} (pg_restore reading {_phase.Archive.Source})");
                        else
                            _output.Amend($"{last.Message} (pg_restore reading {_phase.Archive.Source}, while running " +
                                          $"{string.Join(", ", running.Select(e => $"{e.Type} {e.QualifiedName}"))})");
                    }
                    if (_output.Last.DumpId is { } failedId)
                        _failed.Add(failedId);
                    if (!_parallel && _loading is not null && (_output.Last.DumpId is null || _output.Last.DumpId == _loading.DumpId))
                        _loading = null; // its COPY failed: not done
                    _log?.Invoke(line);
                    break;
            }
        }
    }

    private List<TocEntry> InFlight() => _inFlight.Select(_phase.Archive.FindByDumpId).OfType<TocEntry>().ToList();

    [System.Text.RegularExpressions.GeneratedRegex(@"^pg_restore: launching item (\d+) ")]
    private static partial System.Text.RegularExpressions.Regex Launched();

    /// <summary>pg_restore exited 0: the table it was loading last has committed too.</summary>
    public void Succeeded()
    {
        lock (_gate)
        {
            CompleteLoading();
            _itemsDone = _total;
        }
    }

    private void CompleteLoading()
    {
        if (_loading is not null && !_failed.Contains(_loading.DumpId))
            CompleteTable(_loading.DumpId);
        _loading = null;
    }

    private void CompleteTable(int dumpId)
    {
        if (_journal.IsTableDone(dumpId))
            return;
        _journal.CompleteTable(dumpId);
        _recorded.Add(dumpId);
        _committed?.Invoke(dumpId);
    }

    private void Step(string activity)
    {
        _itemsDone = Math.Min(_total, _itemsDone + 1);
        Report(activity);
    }

    private void Report(string activity) => _report(_itemsDone, _total, activity);
}
