using System.Text.Json.Serialization;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Swap;
using PgPhaseRestore.Engine.Verification;

namespace PgPhaseRestore.Engine.Replace;

/// <summary>What a replace did, and where everything is now.</summary>
public sealed class ReplaceResult
{
    /// <summary>The live name.</summary>
    public required string Database { get; init; }

    /// <summary>The side database restored into (after a replace, it holds the live name).</summary>
    public required string SideDatabase { get; init; }

    /// <summary>How the replace ended.</summary>
    public required ReplaceStatus Status { get; init; }

    /// <summary>Where the live database's previous contents are (null unless replaced).</summary>
    public string? PreviousDatabase { get; init; }

    /// <summary>The results of the restore into the side database.</summary>
    public IReadOnlyList<PhaseResult> Phases { get; init; } = [];

    /// <summary>What verification found, when it ran.</summary>
    public VerificationResult? Verification { get; init; }

    /// <summary>How many differences the verification found (null when it did not run); a column of the table view.</summary>
    [JsonIgnore]
    public int? DifferenceCount => Verification?.Differences.Count;

    /// <summary>What the swap did, when it ran.</summary>
    public SwapResult? Swap { get; init; }

    /// <summary>What happened, in one sentence, naming every database concerned.</summary>
    public required string Message { get; init; }

    /// <summary>The live name now holds the archive's contents.</summary>
    public bool Succeeded => Status == ReplaceStatus.Replaced;

    /// <summary>What happened, in one sentence.</summary>
    public override string ToString() => Message;
}
