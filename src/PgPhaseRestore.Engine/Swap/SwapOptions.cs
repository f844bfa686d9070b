using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>Which two databases trade places, and how hard to push.</summary>
public sealed class SwapOptions
{
    /// <summary>The server; its dbname is ignored (renames run from a maintenance database, postgres or template1).</summary>
    public required PgConnectionInfo Server { get; init; }

    /// <summary>The live name: the database that holds it is moved aside and the replacement takes it.</summary>
    public required string Database { get; init; }

    /// <summary>The database that takes the live name. Required for a swap; for an undo, default: what the last swap put aside.</summary>
    public string? Replacement { get; init; }

    /// <summary>The name the live database moves to. Default: &lt;live&gt;__before_&lt;UTC yyyyMMddHHmmss&gt; (swap), the replacement's former name (undo).</summary>
    public string? AsideName { get; init; }

    /// <summary>Swap back: the database the last swap put aside takes the live name again; an interrupted swap is rolled back.</summary>
    public bool Undo { get; init; }

    /// <summary>Block new connections to the databases being renamed and end their sessions first.</summary>
    public bool Force { get; init; }

    /// <summary>
    /// Carry the live database's settings (ALTER DATABASE ... SET), comment, grants and connection limit to the
    /// replacement. An undo never carries: the database it brings back still has its own.
    /// </summary>
    public bool CarrySettings { get; init; } = true;

    /// <summary>The swap's journal; default: one per server and live name under PGPHASE_JOURNAL_DIR or the user's local application data.</summary>
    public string? JournalPath { get; init; }

    /// <summary>How long ended sessions get to go away before the swap gives up.</summary>
    public TimeSpan SessionEndWait { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>What produced the replacement (an archive and its fingerprint), so that a rerun of a replace recognises its own swap.</summary>
    public string? Origin { get; init; }
}
