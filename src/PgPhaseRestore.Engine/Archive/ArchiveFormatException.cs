namespace PgPhaseRestore.Engine.Archive;

/// <summary>The input is not a readable pg_dump archive. The message names the source and, for damaged data, the offset and entry.</summary>
public sealed class ArchiveFormatException : PgPhaseException
{
    internal ArchiveFormatException(string source, long? offset, string problem, Exception? inner = null)
        : base(Compose(source, offset, problem), PgPhaseErrorKind.DamagedArchive, inner)
    {
        Source = source;
        Offset = offset;
    }

    /// <summary>The path or URI of the archive.</summary>
    public new string Source { get; }

    /// <summary>Byte offset in the file being read where the problem was found, when known.</summary>
    public long? Offset { get; }

    private static string Compose(string source, long? offset, string problem) =>
        offset is { } at ? $"{source}: {problem} (at byte offset {at})" : $"{source}: {problem}";
}
