namespace PgPhaseRestore.Engine.Restore;

/// <summary>A restore could not start or went wrong as a whole: busy target, non-empty target, journal conflict.</summary>
public sealed class RestoreException : PgPhaseException
{
    /// <summary>A failure of the kind of <paramref name="inner"/>, or <see cref="PgPhaseErrorKind.Failed"/>.</summary>
    public RestoreException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>A failure of the given kind.</summary>
    internal RestoreException(string message, PgPhaseErrorKind kind, Exception? inner = null) : base(message, kind, inner) { }

    /// <summary>One of the refusals a host names an option for.</summary>
    internal RestoreException(string message, RestoreFailure failure) : base(message, KindOf(failure)) => Failure = failure;

    /// <summary>Which refusal this is, when it is one a host can name an option for.</summary>
    public RestoreFailure Failure { get; }

    private static PgPhaseErrorKind KindOf(RestoreFailure failure) => failure switch
    {
        RestoreFailure.Busy or RestoreFailure.StaleSessions or RestoreFailure.LockLost => PgPhaseErrorKind.Busy,
        RestoreFailure.Pooler or RestoreFailure.PartialPhase => PgPhaseErrorKind.Conflict,
        RestoreFailure.Ownership => PgPhaseErrorKind.Permission,
        RestoreFailure.TargetMissing => PgPhaseErrorKind.NotFound,
        RestoreFailure.TargetNotEmpty or RestoreFailure.AlreadyRestored or RestoreFailure.Interrupted or RestoreFailure.OtherArchive
            or RestoreFailure.TablesHoldRows => PgPhaseErrorKind.Conflict,
        _ => PgPhaseErrorKind.Failed,
    };
}
