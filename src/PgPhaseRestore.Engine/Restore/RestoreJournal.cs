using System.Text.Json;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// What a restore into one target has finished: whole phases, and in phase 3 each table. Written atomically
/// (temp file + rename) after every step, so a crash, a kill or a lost connection leaves it consistent, and a
/// resumed restore starts at the first unfinished step.
/// </summary>
internal sealed class RestoreJournal
{
    private readonly object _gate = new();

    public string Path { get; private set; } = "";
    public string Archive { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public string Target { get; set; } = "";

    /// <summary>OID of the database this journal describes (0: not yet bound).</summary>
    public uint TargetOid { get; set; }

    /// <summary>System identifier of its server, where readable.</summary>
    public string? ServerId { get; set; }
    public SortedSet<int> StartedPhases { get; set; } = [];
    public SortedSet<int> CompletedPhases { get; set; } = [];
    public SortedSet<int> CompletedTables { get; set; } = [];

    /// <summary>The phase each index-building entry was planned in (see <see cref="IndexPlacement"/>).</summary>
    public SortedDictionary<int, int> IndexPhases { get; set; } = [];

    /// <summary>
    /// The sort of each provisional late build (see <see cref="Planning.IndexSortEstimate.Provisional"/>) as measured
    /// from every row of its table, recorded before the rows committed: what the build runs with, in this run or a resume.
    /// </summary>
    public SortedDictionary<int, long> MeasuredSorts { get; set; } = [];

    /// <summary>
    /// Tables that held rows before the data phase loaded into them (a non-empty target allowed), by dump id: rows no
    /// resume may empty, since the restore did not load them.
    /// </summary>
    public SortedSet<int> RowsBeforeLoad { get; set; } = [];

    /// <summary>How the restore was planned (strategy, Auto's memory budget), for messages.</summary>
    public string? IndexPlan { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Where journals live: PGPHASE_JOURNAL_DIR, else pgphase/journals under the user's local application data.</summary>
    public static string DefaultDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("PGPHASE_JOURNAL_DIR");
        if (!string.IsNullOrWhiteSpace(configured))
            return configured;
        var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        return System.IO.Path.Combine(root, "pgphase", "journals");
    }

    /// <summary>
    /// One file per server address and database name. The readable part of the name is sanitised, so a hash of
    /// the exact address and name keeps "a b\"c" and "a_b_c" apart; the identity inside tells a dropped and
    /// recreated database from the one the journal was written for.
    /// </summary>
    public static string DefaultPath(Connections.PgConnectionInfo target)
    {
        var exact = $"{target.Host ?? "localhost"}\n{target.Port}\n{target.Database}";
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(exact)))[..16].ToLowerInvariant();
        var name = target.Database ?? "";
        var safe = string.Concat(name.Take(40).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return System.IO.Path.Combine(DefaultDirectory(), $"{safe}-{hash}.json");
    }

    public static RestoreJournal Load(string path)
    {
        if (!File.Exists(path))
            return new RestoreJournal { Path = path };
        try
        {
            var journal = Serialization.EngineJson.Deserialize<RestoreJournal>(File.ReadAllText(path), Serialization.EngineJson.Journal) ?? new RestoreJournal();
            journal.Path = path;
            return journal;
        }
        catch (JsonException ex)
        {
            throw PgPhaseException.Wrap($"restore journal {path} is damaged ({ex.Message}); delete it to start over", ex, PgPhaseErrorCode.RestoreFailed);
        }
    }

    /// <summary>
    /// Binds the journal to the database it describes. A journal written for another database of the same name
    /// (dropped and created again, or on another server behind the same address) is set aside, not obeyed.
    /// </summary>
    public void BindTo(TargetIdentity identity, Action<string>? log)
    {
        lock (_gate)
        {
            var recorded = new TargetIdentity(TargetOid, ServerId);
            if (TargetOid != 0 && !recorded.Matches(identity) && (CompletedPhases.Count > 0 || StartedPhases.Count > 0))
            {
                log?.Invoke($"journal {Path} describes another database named like this one ({recorded}; the target is {identity}): it is set aside and the restore starts from the target's state");
                Fingerprint = "";
                StartedPhases.Clear();
                CompletedPhases.Clear();
                CompletedTables.Clear();
                RowsBeforeLoad.Clear();
                IndexPhases.Clear();
                IndexPlan = null;
            }
            TargetOid = identity.DatabaseOid;
            ServerId = identity.ServerId;
            Save();
        }
    }

    public void Reset(string archive, string fingerprint, string target)
    {
        lock (_gate)
        {
            Archive = archive;
            Fingerprint = fingerprint;
            Target = target;
            StartedPhases.Clear();
            CompletedPhases.Clear();
            CompletedTables.Clear();
            RowsBeforeLoad.Clear();
            IndexPhases.Clear();
            MeasuredSorts.Clear();
            IndexPlan = null;
            Save();
        }
    }

    public void CompleteTable(int dumpId) => CompleteTables([dumpId]);

    /// <summary>Records sorts measured from their tables' rows (index-building entry to bytes).</summary>
    public void RecordMeasuredSorts(IReadOnlyDictionary<int, long> sorts)
    {
        lock (_gate)
        {
            foreach (var (id, bytes) in sorts)
                MeasuredSorts[id] = bytes;
            Save();
        }
    }

    /// <summary>Drops measurements no longer to be trusted.</summary>
    public void ForgetMeasuredSorts(IEnumerable<int> dumpIds) => Apply(dumpIds, id => MeasuredSorts.Remove(id));

    /// <summary>The sort measured for an index-building entry, if any.</summary>
    public long? MeasuredSort(int dumpId)
    {
        lock (_gate)
            return MeasuredSorts.TryGetValue(dumpId, out long bytes) ? bytes : null;
    }

    /// <summary>Records where entries are placed now, and how the run placing them was planned.</summary>
    public void RecordIndexPhases(IReadOnlyDictionary<int, int> phases, string plan)
    {
        lock (_gate)
        {
            bool changed = IndexPlan != plan;
            IndexPlan = plan;
            foreach (var (id, phase) in phases)
            {
                changed |= !IndexPhases.TryGetValue(id, out int before) || before != phase;
                IndexPhases[id] = phase;
            }
            if (changed)
                Save();
        }
    }

    public void CompleteTables(IEnumerable<int> dumpIds) => Apply(dumpIds, CompletedTables.Add);

    /// <summary>Takes tables back: their rows turned out not to be trustworthy (a damaged stream), so a resume reloads them.</summary>
    public void ForgetTables(IEnumerable<int> dumpIds) => Apply(dumpIds, CompletedTables.Remove);

    /// <summary>Applies <paramref name="change"/> (true when it changed something) to each id, and saves once if any did.</summary>
    private void Apply(IEnumerable<int> dumpIds, Func<int, bool> change)
    {
        lock (_gate)
        {
            bool changed = false;
            foreach (var id in dumpIds)
                changed |= change(id);
            if (changed)
                Save();
        }
    }

    public void StartPhase(int phase)
    {
        lock (_gate)
        {
            if (StartedPhases.Add(phase))
                Save();
        }
    }

    /// <summary>Records tables that hold rows the data phase is about to load beside (a non-empty target allowed).</summary>
    public void RecordRowsBeforeLoad(IEnumerable<int> dumpIds) => Apply(dumpIds, RowsBeforeLoad.Add);

    /// <summary>Whether the table held rows before the data phase first loaded into it.</summary>
    public bool HeldRowsBeforeLoad(int dumpId)
    {
        lock (_gate)
            return RowsBeforeLoad.Contains(dumpId);
    }

    /// <summary>Whether a run recorded in this journal started the phase (and has not been forgotten).</summary>
    public bool IsStarted(int phase)
    {
        lock (_gate)
            return StartedPhases.Contains(phase);
    }

    /// <summary>Started and not completed: interrupted.</summary>
    public bool IsInterrupted(int phase)
    {
        lock (_gate)
            return StartedPhases.Contains(phase) && !CompletedPhases.Contains(phase);
    }

    /// <summary>
    /// The phase runs again: for the data phase, its <paramref name="tables"/> (or, without them, every table) are
    /// loaded again too; the others it loaded stay recorded, as they stay in the target.
    /// </summary>
    public void ForgetPhase(int phase, IEnumerable<int>? tables = null)
    {
        lock (_gate)
        {
            StartedPhases.Remove(phase);
            CompletedPhases.Remove(phase);
            if (phase == 3 && tables is null)
            {
                CompletedTables.Clear();
                RowsBeforeLoad.Clear();
            }
            else if (phase == 3)
            {
                CompletedTables.ExceptWith(tables!);
                RowsBeforeLoad.ExceptWith(tables!);
            }
            Save();
        }
    }

    public void CompletePhase(int phase)
    {
        lock (_gate)
        {
            CompletedPhases.Add(phase);
            Save();
        }
    }

    public bool IsTableDone(int dumpId)
    {
        lock (_gate)
            return CompletedTables.Contains(dumpId);
    }

    private void Save()
    {
        UpdatedAt = DateTimeOffset.UtcNow;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            var temp = Path + ".tmp";
            File.WriteAllText(temp, Serialization.EngineJson.Serialize(this, Serialization.EngineJson.Journal));
            File.Move(temp, Path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(Path, ex, "");
        }
    }

    /// <summary>
    /// Fails unless a journal can be written at <paramref name="path"/> (its folder made if missing): checked before
    /// a restore creates or changes anything, since the journal is first written once the target is locked.
    /// </summary>
    public static void CheckWritable(string path)
    {
        var probe = $"{path}.{Guid.NewGuid():N}.probe";
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unwritable(path, ex, "; nothing was created");
        }
    }

    private static PgPhaseException Unwritable(string path, Exception ex, string outcome) =>
        PgPhaseException.OfOption(nameof(RestoreOptions.JournalPath), $"restore journal {path} cannot be written ({ex.Message}){outcome}", PgPhaseErrorCode.InvalidInput, ex);
}
