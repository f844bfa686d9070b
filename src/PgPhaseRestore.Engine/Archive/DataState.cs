namespace PgPhaseRestore.Engine.Archive;

/// <summary>Where an entry's data is, as far as the TOC says.</summary>
public enum DataState
{
    /// <summary>The entry carries no data.</summary>
    None,

    /// <summary>Custom format: data block at a known byte offset.</summary>
    Offset,

    /// <summary>Custom format written to a pipe: the block exists but its offset was never filled in.</summary>
    OffsetNotSet,

    /// <summary>Directory or tar format: data in a member file.</summary>
    File,
}
