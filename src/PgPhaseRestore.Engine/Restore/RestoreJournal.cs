using System.Text.Json;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// What a restore into one target has finished: whole phases, and in phase 3 each table. Written atomically
/// (temp file + rename) after every step, so a crash, a kill or a lost connection leaves it consistent, and a
/// resumed restore starts at the first unfinished step.
/// </summary>
public sealed class RestoreJournal
{
    private readonly object _gate = new();

    public string Path { get; private set; } = "";
    public string Archive { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public string Target { get; set; } = "";
    public SortedSet<int> StartedPhases { get; set; } = [];
    public SortedSet<int> CompletedPhases { get; set; } = [];
    public SortedSet<int> CompletedTables { get; set; } = [];
    public DateTimeOffset UpdatedAt { get; set; }

    public static string DefaultPath(string target)
    {
        var safe = string.Concat(target.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create);
        return System.IO.Path.Combine(root, "pgphase", "journals", safe + ".json");
    }

    public static RestoreJournal Load(string path)
    {
        if (!File.Exists(path))
            return new RestoreJournal { Path = path };
        try
        {
            var journal = JsonSerializer.Deserialize<RestoreJournal>(File.ReadAllText(path)) ?? new RestoreJournal();
            journal.Path = path;
            return journal;
        }
        catch (JsonException ex)
        {
            throw new RestoreException($"restore journal {path} is damaged ({ex.Message}); delete it to start over", ex);
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
            Save();
        }
    }

    public void CompleteTable(int dumpId)
    {
        lock (_gate)
        {
            if (CompletedTables.Add(dumpId))
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

    /// <summary>Started and not completed: interrupted.</summary>
    public bool IsInterrupted(int phase)
    {
        lock (_gate)
            return StartedPhases.Contains(phase) && !CompletedPhases.Contains(phase);
    }

    public void ForgetPhase(int phase)
    {
        lock (_gate)
        {
            StartedPhases.Remove(phase);
            CompletedPhases.Remove(phase);
            if (phase == 3)
                CompletedTables.Clear();
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
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temp = Path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, Path, overwrite: true);
    }
}
