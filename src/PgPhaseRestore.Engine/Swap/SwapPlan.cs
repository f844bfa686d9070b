using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>
/// What a swap, undo or rollback would do, read from the catalog and the journal without changing anything:
/// the renames (one transaction), what is carried, and the sessions in the way. -WhatIf and --dry-run show it.
/// </summary>
public sealed class SwapPlan
{
    /// <summary>The server, host:port.</summary>
    public required string Server { get; init; }

    /// <summary>The live name.</summary>
    public required string Database { get; init; }

    /// <summary>Swap, undo, or rollback of an interrupted swap.</summary>
    public required SwapKind Kind { get; init; }

    /// <summary>Finishes (or rolls back) an operation an earlier run left unfinished.</summary>
    public bool Resumes { get; init; }

    /// <summary>The name the database taking the live name has now.</summary>
    public required string Incoming { get; init; }

    /// <summary>Where the database that holds the live name goes (null when no database holds it).</summary>
    public string? Aside { get; init; }

    /// <summary>The renames, in order, all in one transaction.</summary>
    public required IReadOnlyList<DatabaseRename> Renames { get; init; }

    /// <summary>Sessions on the databases to rename, which the swap must end or be refused by.</summary>
    public required IReadOnlyList<SessionInfo> Sessions { get; init; }

    /// <summary>What is carried to the database taking the live name: settings, comment, grants.</summary>
    public required IReadOnlyList<string> Carry { get; init; }

    /// <summary>Whether sessions in the way are ended.</summary>
    public bool Force { get; init; }

    /// <summary>What the plan had to assume, or what an operator should know before it runs.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Set when an unfinished operation is finished instead of the one asked for, which then still has to be run.</summary>
    public string? Deferred { get; init; }

    /// <summary>The journal the operation is recorded in.</summary>
    public required string JournalPath { get; init; }

    internal SwapRecord Record { get; init; } = null!;
    internal PgConnectionInfo Connection { get; init; } = null!;
    internal TimeSpan SessionEndWait { get; init; }

    /// <summary>One line per thing the swap would do.</summary>
    public IReadOnlyList<string> Lines()
    {
        var lines = new List<string>();
        if (Resumes)
            lines.Add($"finish the interrupted {Record.Kind.ToString().ToLowerInvariant()} of \"{Database}\" (journal {JournalPath})");
        if (Renames.Count == 0)
            lines.Add("no rename left to do");
        else
            lines.Add($"rename {string.Join(", then ", Renames)} in one transaction");
        foreach (var c in Carry)
            lines.Add($"carry to \"{Incoming}\": {c}");
        foreach (var s in Sessions)
            lines.Add(!s.CanEnd ? $"refuse: may not end {s}" : Force ? $"end session {s}" : $"refuse: connected {s} (force to end it)");
        if (Renames.Count > 0 && Force)
            lines.Add($"block new connections to {string.Join(" and ", Renames.Select(r => $"\"{r.From}\""))} while renaming, then restore their connection settings");
        lines.AddRange(Notes.Select(n => "note: " + n));
        if (Deferred is not null)
            lines.Add("then stop: " + Deferred);
        return lines;
    }

    /// <summary>The whole plan in one sentence, for ShouldProcess.</summary>
    public string Describe() => string.Join("; ", Lines());

    /// <summary>The plan in one sentence.</summary>
    public override string ToString() => Describe();
}
