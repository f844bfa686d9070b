using System.Text.Json.Serialization;

namespace PgPhaseRestore.Engine.Swap;

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
