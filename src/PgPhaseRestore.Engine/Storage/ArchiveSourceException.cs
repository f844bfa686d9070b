namespace PgPhaseRestore.Engine.Storage;

/// <summary>An archive could not be reached: missing file, missing key, access denied, endpoint down. The message names the location.</summary>
public sealed class ArchiveSourceException : PgPhaseException
{
    internal ArchiveSourceException(string location, string problem, Exception? inner = null, ArchiveSourceProblem kind = ArchiveSourceProblem.Other)
        : base($"{location}: {problem}", KindOf(kind), inner)
    {
        Location = location;
        Problem = kind;
    }

    /// <summary>The path or s3:// URI that could not be reached.</summary>
    public string Location { get; }

    /// <summary>What kept it out of reach.</summary>
    public ArchiveSourceProblem Problem { get; }

    internal static PgPhaseErrorKind KindOf(ArchiveSourceProblem problem) => problem switch
    {
        ArchiveSourceProblem.NotFound => PgPhaseErrorKind.NotFound,
        ArchiveSourceProblem.AccessDenied => PgPhaseErrorKind.Permission,
        ArchiveSourceProblem.Unreachable or ArchiveSourceProblem.BucketHostUnknown => PgPhaseErrorKind.Connection,
        ArchiveSourceProblem.NoCredentials or ArchiveSourceProblem.CredentialsRejected => PgPhaseErrorKind.Authentication,
        ArchiveSourceProblem.AlreadyExists => PgPhaseErrorKind.AlreadyExists,
        ArchiveSourceProblem.NoRegion => PgPhaseErrorKind.InvalidInput,
        _ => PgPhaseErrorKind.Failed,
    };
}
