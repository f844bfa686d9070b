using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Tools;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>Which operation a swap journal records.</summary>
public enum SwapKind
{
    /// <summary>The replacement takes the live name; the live database moves aside.</summary>
    Swap,

    /// <summary>The database a completed swap put aside takes the live name back.</summary>
    Undo,

    /// <summary>An interrupted swap taken back to where it started.</summary>
    Rollback,
}

/// <summary>How far an operation got, as the journal last recorded it. The catalog decides what is actually left.</summary>
internal enum SwapStep
{
    Planned,
    Blocked,
    Carried,
    Renamed,
    Done,
    Abandoned,
}

/// <summary>One of the two databases of a swap: identified by OID, which a rename does not change.</summary>
internal sealed class SwapSide
{
    public uint Oid { get; set; }

    /// <summary>Its name when the operation began.</summary>
    public string Name { get; set; } = "";

    /// <summary>Its name once the operation is done.</summary>
    public string Target { get; set; } = "";

    /// <summary>Connection settings before anything was blocked: what it gets back.</summary>
    public bool AllowConnections { get; set; } = true;
    public int ConnectionLimit { get; set; } = -1;
}

internal sealed record SwapEvent(DateTimeOffset At, string Message);

/// <summary>One swap, undo or rollback, step by step.</summary>
internal sealed class SwapRecord
{
    public SwapKind Kind { get; set; }

    /// <summary>The database that leaves the live name (null: no database held it when the operation began).</summary>
    public SwapSide? Outgoing { get; set; }

    /// <summary>The database that takes the live name.</summary>
    public SwapSide Incoming { get; set; } = new();

    public bool Carry { get; set; }
    public SwapStep Step { get; set; }
    public string? Origin { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public List<SwapEvent> Events { get; set; } = [];

    [JsonIgnore]
    public bool IsFinished => Step is SwapStep.Done or SwapStep.Abandoned;
}

/// <summary>Where a replace's side restore stands, so that a rerun with the same archive continues it instead of starting over.</summary>
internal sealed class ReplaceRecord
{
    public string Archive { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public string SideDatabase { get; set; } = "";
    public ReplaceStage Stage { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

internal enum ReplaceStage
{
    Restoring,
    RestoreFailed,
    VerificationFailed,
    Verified,
    Replaced,
}

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
            throw new SwapException($"swap journal {path} is damaged ({ex.Message}); the databases' names in pg_database are what counts: move the file away and run again", SwapFailure.State, ex);
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
