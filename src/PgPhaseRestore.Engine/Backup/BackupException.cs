namespace PgPhaseRestore.Engine.Backup;

/// <summary>A backup could not be made; the message says what was left behind (nothing, by design).</summary>
public sealed class BackupException : PgPhaseException
{
    /// <summary>A failure of the kind of <paramref name="inner"/>, or <see cref="PgPhaseErrorKind.Failed"/>.</summary>
    internal BackupException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>A failure of the given kind.</summary>
    internal BackupException(string message, PgPhaseErrorKind kind, Exception? inner = null) : base(message, kind, inner) { }

    /// <summary>One of the refusals a host names an option for.</summary>
    internal BackupException(string message, BackupFailure failure) : base(message, failure == BackupFailure.Exists ? PgPhaseErrorKind.AlreadyExists : PgPhaseErrorKind.Failed) =>
        Failure = failure;

    /// <summary>Which refusal this is, when it is one a host can name an option for.</summary>
    public BackupFailure Failure { get; }
}
