namespace PgPhaseRestore.Engine.Swap;

/// <summary>What a swap did.</summary>
public sealed class SwapResult
{
    /// <summary>The server, host:port.</summary>
    public required string Server { get; init; }

    /// <summary>The live name.</summary>
    public required string Database { get; init; }

    /// <summary>Swap, undo or rollback.</summary>
    public required SwapKind Kind { get; init; }

    /// <summary>The name the database now live had before.</summary>
    public required string ReplacementName { get; init; }

    /// <summary>Where the database that held the live name now is (null when none held it).</summary>
    public string? PreviousDatabase { get; init; }

    /// <summary>The OID of the database that now holds the live name.</summary>
    public uint DatabaseOid { get; init; }

    /// <summary>The OID of the database that held it before, if one did.</summary>
    public uint? PreviousOid { get; init; }

    /// <summary>An interrupted operation was finished.</summary>
    public bool Resumed { get; init; }

    /// <summary>The sessions that were ended.</summary>
    public IReadOnlyList<string> SessionsEnded { get; init; } = [];

    /// <summary>What was carried to the database now live.</summary>
    public IReadOnlyList<string> Carried { get; init; } = [];

    /// <summary>Settings or grants this role was not allowed to carry, with PostgreSQL's reason.</summary>
    public IReadOnlyList<string> NotCarried { get; init; } = [];

    /// <summary>Every step, in order, as logged.</summary>
    public IReadOnlyList<string> Steps { get; init; } = [];

    /// <summary>When the renames committed.</summary>
    public DateTimeOffset CompletedAt { get; init; }

    /// <summary>What the live name holds now, and where the previous database is.</summary>
    public override string ToString() => Kind == SwapKind.Rollback
        ? $"the interrupted swap of \"{Database}\" was rolled back: \"{Database}\" is the database it was before; \"{PreviousDatabase}\" has its former name again"
        : PreviousDatabase is null
            ? $"\"{Database}\" is now the database that was \"{ReplacementName}\" (no database held the name before)"
            : $"\"{Database}\" is now the database that was \"{ReplacementName}\"; the previous \"{Database}\" is \"{PreviousDatabase}\"";
}
