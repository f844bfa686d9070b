namespace PgPhaseRestore.Engine.Planning;

/// <summary>Where Auto's estimate of an index's sort came from.</summary>
public enum SizeBasis
{
    /// <summary>The row estimate and index size recorded in a pgphase backup's manifest.</summary>
    Manifest,

    /// <summary>The row estimate and index size read from the source database.</summary>
    Source,

    /// <summary>A pass over the table's rows in the archive, each key's width measured from its COPY text.</summary>
    ArchiveScan,
}
