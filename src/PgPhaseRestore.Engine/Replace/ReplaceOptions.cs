using PgPhaseRestore.Engine.Restore;

namespace PgPhaseRestore.Engine.Replace;

/// <summary>A restore beside a live database, then a swap that puts it in the live database's place.</summary>
public sealed class ReplaceOptions
{
    /// <summary>How to restore; its target names the live database, whose server the side database is created on.</summary>
    public required RestoreOptions Restore { get; init; }

    /// <summary>Where to restore first. Default: &lt;live&gt;__pgphase_&lt;UTC yyyyMMddHHmmss&gt;, or the side database an interrupted run of the same archive left.</summary>
    public string? SideDatabase { get; init; }

    /// <summary>The name the live database moves to at the swap. Default: &lt;live&gt;__before_&lt;UTC yyyyMMddHHmmss&gt;.</summary>
    public string? AsideName { get; init; }

    /// <summary>At the swap, block new connections to the live database and end its sessions.</summary>
    public bool Force { get; init; }

    /// <summary>Skip counting each table's rows in the archive (one more pass over its data) during verification.</summary>
    public bool SkipRowCounts { get; init; }

    /// <summary>The swap journal; default: one per server and live name beside the restore journals.</summary>
    public string? SwapJournalPath { get; init; }
}
