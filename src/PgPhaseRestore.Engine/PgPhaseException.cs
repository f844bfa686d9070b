namespace PgPhaseRestore.Engine;

/// <summary>
/// The base of every failure the engine raises itself: a one-line message that names what failed and says what to
/// do, and the <see cref="Kind"/> hosts map to error categories and exit codes. Only the engine derives from it.
/// </summary>
public abstract class PgPhaseException : Exception
{
    /// <summary>A failure of the given kind.</summary>
    private protected PgPhaseException(string message, PgPhaseErrorKind kind, Exception? inner = null) : base(message, inner) => Kind = kind;

    /// <summary>A failure caused by <paramref name="inner"/>, of its kind (<see cref="PgPhaseErrorKind.Failed"/> when it has none).</summary>
    private protected PgPhaseException(string message, Exception? inner) : this(message, PgPhaseErrors.KindOf(inner) ?? PgPhaseErrorKind.Failed, inner)
    {
    }

    /// <summary>What went wrong, for hosts that map failures to categories or exit codes.</summary>
    public PgPhaseErrorKind Kind { get; }
}
