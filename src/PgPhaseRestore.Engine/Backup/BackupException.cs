namespace PgPhaseRestore.Engine.Backup;

/// <summary>A backup could not be made; the message says what was left behind (nothing, by design).</summary>
public sealed class BackupException : PgPhaseException
{
    /// <summary>A failure of the kind of <paramref name="inner"/>, or <see cref="PgPhaseErrorKind.Failed"/>.</summary>
    internal BackupException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>A failure of the given kind.</summary>
    internal BackupException(string message, PgPhaseErrorKind kind, Exception? inner = null) : base(message, kind, inner) { }
}
