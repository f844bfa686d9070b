namespace PgPhaseRestore.Engine.Storage;

/// <summary>An archive could not be reached: missing file, missing key, access denied. The message names the location.</summary>
public sealed class ArchiveSourceException(string location, string problem, Exception? inner = null)
    : Exception($"{location}: {problem}", inner)
{
    public string Location { get; } = location;
}
