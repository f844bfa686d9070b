using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Restore;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>
/// The persistent record of the swaps of one live database name on one server: the operation under way
/// (<see cref="Pending"/>), the last one completed (<see cref="Last"/>, what an undo reverses) and the replace
/// restore in progress. Written atomically and flushed before and after every step.
/// </summary>
/// <remarks>
/// The catalog is the truth and this file a hint. The databases are followed by OID, so a rerun learns from
/// pg_database which renames already committed; the file adds what the catalog cannot say afterwards: which two
/// databases were involved, the names they were going to, and the connection settings they had before they were
/// blocked. A file lost in a crash costs only those settings (the databases are then opened to connections).
/// </remarks>
internal sealed class SwapJournal
{
    private static readonly JsonSerializerOptions Json = Serialization.EngineJson.Named;

    [JsonIgnore]
    public string Path { get; private set; } = "";

    public int Version { get; set; } = 1;
    public string Server { get; set; } = "";
    public string Database { get; set; } = "";
    public SwapRecord? Pending { get; set; }
    public SwapRecord? Last { get; set; }
    public ReplaceRecord? Replace { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>One file per server address and live name, beside the restore journals.</summary>
    public static string DefaultPath(PgConnectionInfo server, string database)
    {
        var exact = $"{server.Host ?? "localhost"}\n{server.Port}\n{database}";
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(exact)))[..16].ToLowerInvariant();
        var safe = string.Concat(database.Take(40).Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return System.IO.Path.Combine(RestoreJournal.DefaultDirectory(), $"swap-{safe}-{hash}.json");
    }

    public static SwapJournal Load(string path)
    {
        if (!File.Exists(path))
            return new SwapJournal { Path = path };
        try
        {
            var journal = Serialization.EngineJson.Deserialize<SwapJournal>(File.ReadAllText(path), Json) ?? new SwapJournal();
            journal.Path = path;
            return journal;
        }
        catch (JsonException ex)
        {
            throw new PgPhaseException($"swap journal {path} is damaged ({ex.Message}); the databases' names in pg_database are what counts: move the file away and run again", PgPhaseErrorCode.SwapState, ex);
        }
    }

    /// <summary>Writes the file through to disk: a step is recorded before the next one starts.</summary>
    public void Save()
    {
        UpdatedAt = DateTimeOffset.UtcNow;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temp = Path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            Serialization.EngineJson.Serialize(stream, this, Json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, Path, overwrite: true);
    }
}
