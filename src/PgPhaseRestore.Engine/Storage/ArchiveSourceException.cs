namespace PgPhaseRestore.Engine.Storage;

/// <summary>What kept an archive or its storage out of reach.</summary>
public enum ArchiveSourceProblem
{
    Other,
    NotFound,
    AccessDenied,

    /// <summary>The storage endpoint did not answer: refused, unresolved, TLS failure, timeout.</summary>
    Unreachable,

    /// <summary>No credentials could be found for the storage.</summary>
    NoCredentials,

    /// <summary>A conditional write was refused: something else was written at the key first.</summary>
    AlreadyExists,
}

/// <summary>An archive could not be reached: missing file, missing key, access denied, endpoint down. The message names the location.</summary>
public sealed class ArchiveSourceException(string location, string problem, Exception? inner = null, ArchiveSourceProblem kind = ArchiveSourceProblem.Other)
    : Exception($"{location}: {problem}", inner)
{
    public string Location { get; } = location;
    public ArchiveSourceProblem Problem { get; } = kind;
}
