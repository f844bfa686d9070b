using PgPhaseRestore.Engine.Swap;

namespace PgPhaseRestore.Engine.Replace;

/// <summary>What a replace would do: where it restores, and what the swap after it would meet.</summary>
public sealed class ReplacePlan
{
    /// <summary>The server, host:port.</summary>
    public required string Server { get; init; }

    /// <summary>The live database that is replaced.</summary>
    public required string Database { get; init; }

    /// <summary>The database restored into first.</summary>
    public required string SideDatabase { get; init; }

    /// <summary>The archive restored.</summary>
    public required string Archive { get; init; }

    /// <summary>The side database is left from an interrupted run of the same archive and is continued.</summary>
    public bool ResumesSide { get; init; }

    /// <summary>Sessions on the live database now, which the swap would end (with force) or be refused by.</summary>
    public IReadOnlyList<SessionInfo> Sessions { get; init; } = [];

    /// <summary>Whether the swap ends the live database's sessions.</summary>
    public bool Force { get; init; }

    /// <summary>An interrupted swap of the live database that the run finishes before anything else.</summary>
    public string? PendingSwap { get; init; }

    /// <summary>The swap journal that records the replace.</summary>
    public required string JournalPath { get; init; }

    internal ReplaceOptions Options { get; init; } = null!;
    internal string Fingerprint { get; init; } = "";

    /// <summary>One line per thing the replace would do.</summary>
    public IReadOnlyList<string> Lines()
    {
        if (PendingSwap is not null)
            return [$"finish the interrupted swap of \"{Database}\" first: {PendingSwap}"];
        var lines = new List<string>
        {
            ResumesSide ? $"continue restoring {Archive} into \"{SideDatabase}\" (left by an earlier run)" : $"restore {Archive} into a new database \"{SideDatabase}\"",
            $"verify \"{SideDatabase}\" against the archive (objects, validity{(Options.SkipRowCounts ? "" : ", row counts")}); on any difference stop with \"{Database}\" untouched",
            $"rename \"{Database}\" to \"{Options.AsideName ?? DatabaseNames.BeforePrefix(Database) + "<UTC time>"}\", then \"{SideDatabase}\" to \"{Database}\" in one transaction, carrying settings, comment and grants",
        };
        foreach (var s in Sessions)
            lines.Add(!s.CanEnd ? $"refuse: may not end {s}" : Force ? $"end session {s}" : $"refuse: connected {s} (force to end it)");
        return lines;
    }

    /// <summary>The whole plan in one sentence, for ShouldProcess and --dry-run.</summary>
    public string Describe() => string.Join("; ", Lines());

    /// <summary>The plan in one sentence.</summary>
    public override string ToString() => Describe();
}
