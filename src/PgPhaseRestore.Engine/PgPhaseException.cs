using Npgsql;

namespace PgPhaseRestore.Engine;

/// <summary>
/// Every failure the engine reports: a one-line message that names what failed and says what to do, and one
/// <see cref="Code"/> for what went wrong, from which the <see cref="Kind"/> hosts map to categories and exit codes
/// follows. Whatever else an engine call ends with (but a cancellation) is a bug in the engine.
/// </summary>
public sealed class PgPhaseException : Exception
{
    /// <summary>A failure with the given code.</summary>
    internal PgPhaseException(string message, PgPhaseErrorCode code, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>
    /// A failure whose message is <paramref name="fact"/> then <paramref name="advice"/>, the engine's words on what to
    /// do (with the punctuation that joins them): a host that says the same in its own terms shows the fact alone.
    /// </summary>
    internal PgPhaseException(string fact, string advice, PgPhaseErrorCode code, Exception? inner = null) : this(fact + advice, code, inner) => Fact = fact;

    /// <summary>
    /// The message without the engine's advice on what to do, for a host that gives that advice in its own terms
    /// (parameters, options); null when the message is not split so.
    /// </summary>
    public string? Fact { get; }

    /// <summary>What went wrong.</summary>
    public PgPhaseErrorCode Code { get; }

    /// <summary>What went wrong, in the terms hosts map to categories and exit codes: a function of <see cref="Code"/>.</summary>
    public PgPhaseErrorKind Kind => PgPhaseErrors.KindOf(Code);

    /// <summary>The server's error code when a server refused (28P01, 3D000...), else null.</summary>
    public string? SqlState => (InnerException as PostgresException)?.SqlState;

    /// <summary>For a connection that could not be opened: what its host calls it (<see cref="Connections.PgConnectionInfo.Origin"/>), or null.</summary>
    public string? Origin { get; private init; }

    /// <summary>
    /// For a failure that one option's value caused (a journal path that cannot be written, a role that cannot be
    /// set): that option's name in the engine's options (<c>RestoreOptions.JournalPath</c>, <c>BackupOptions.Tables</c>...),
    /// which hosts map to the parameter or flag that sets it; else null.
    /// </summary>
    public string? Option { get; private init; }

    /// <summary>For an input that is not a readable archive: its path or URI (the message starts with it).</summary>
    internal string? ArchivePath { get; private init; }

    /// <summary>For an input that is not a readable archive: the byte offset where the problem was found, when known (the message says it too).</summary>
    internal long? Offset { get; private init; }

    /// <summary>For a connection that could not be opened: user@host:port/database.</summary>
    internal string? Target { get; private init; }

    /// <summary>For a connection that could not be opened: what went wrong and what to do, without the target.</summary>
    internal string? Detail { get; private init; }

    /// <summary>
    /// A failure caused by <paramref name="inner"/>: the engine's own keeps its code, another takes the general code
    /// of its kind, and <paramref name="fallback"/> stands where neither says more than that it failed.
    /// </summary>
    internal static PgPhaseException Wrap(string message, Exception? inner, PgPhaseErrorCode fallback) =>
        new(message, PgPhaseErrors.CodeOf(inner) is { } code && code != PgPhaseErrorCode.Failed ? code : fallback, inner)
        {
            // The option or connection the failure came from is still the one to change.
            Option = (inner as PgPhaseException)?.Option, Origin = (inner as PgPhaseException)?.Origin,
        };

    /// <summary>
    /// The same failure said in a host's terms (the parameter or option it came from, say), with the same code; the
    /// original is its inner exception. <paramref name="origin"/>, when given, is what the host calls the input.
    /// </summary>
    public static PgPhaseException Restated(string message, PgPhaseException original, string? origin = null) =>
        new(message, original.Code, original) { Origin = origin ?? original.Origin, Option = original.Option, ArchivePath = original.ArchivePath, Offset = original.Offset, Target = original.Target, Detail = original.Detail };

    /// <summary>A failure that the value of one option caused (<see cref="Option"/>: its name in the engine's options).</summary>
    internal static PgPhaseException OfOption(string option, string message, PgPhaseErrorCode code, Exception? inner = null) =>
        new(message, code, inner) { Option = option };

    /// <summary>A failure of what <paramref name="connection"/>'s role may do, named by that connection's <see cref="Origin"/> so that hosts point at its credentials.</summary>
    internal static PgPhaseException OfConnection(Connections.PgConnectionInfo connection, string message, PgPhaseErrorCode code, Exception? inner = null) =>
        new(message, code, inner) { Origin = connection.Origin };

    /// <summary>An archive, folder or bucket out of reach; the message names the location.</summary>
    internal static PgPhaseException Storage(string location, string problem, Exception? inner = null, PgPhaseErrorCode code = PgPhaseErrorCode.ArchiveUnreadable) =>
        new($"{location}: {problem}", code, inner);

    /// <summary>Not a readable pg_dump archive: the message names the source and, when known, the byte offset.</summary>
    internal static PgPhaseException Format(string source, long? offset, string problem, Exception? inner = null) =>
        new(offset is { } at ? $"{source}: {problem} (at byte offset {at})" : $"{source}: {problem}", PgPhaseErrorCode.NotAnArchive, inner) { ArchivePath = source, Offset = offset };

    /// <summary>A connection that names no database where one is needed; its host's name for it (<see cref="Origin"/>) says where to add one.</summary>
    internal static PgPhaseException NoDatabase(Connections.PgConnectionInfo connection, string which, string? why = null) =>
        new($"the {which} connection names no database (dbname){why}", PgPhaseErrorCode.InvalidInput) { Origin = connection.Origin };

    /// <summary>A connection to <paramref name="target"/> that could not be opened, of the given kind.</summary>
    internal static PgPhaseException Connection(string target, string detail, PgPhaseErrorKind kind, Exception inner, string? origin = null) =>
        new($"cannot connect to {target}: {detail}", PgPhaseErrors.ConnectionCode(kind), inner) { Target = target, Detail = detail, Origin = origin };
}
