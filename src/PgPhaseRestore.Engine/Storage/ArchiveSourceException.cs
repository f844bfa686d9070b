namespace PgPhaseRestore.Engine.Storage;

/// <summary>What kept an archive or its storage out of reach.</summary>
public enum ArchiveSourceProblem
{
    /// <summary>Anything not listed below.</summary>
    Other,

    /// <summary>No such file, folder, object or bucket.</summary>
    NotFound,

    /// <summary>The credentials are valid but may not do what was asked.</summary>
    AccessDenied,

    /// <summary>The storage endpoint did not answer: refused, unresolved, TLS failure, timeout.</summary>
    Unreachable,

    /// <summary>No credentials could be found for the storage.</summary>
    NoCredentials,

    /// <summary>A conditional write was refused: something else was written at the key first.</summary>
    AlreadyExists,

    /// <summary>The endpoint does not accept the credentials: an unknown access key, a secret that does not match it, an expired token.</summary>
    CredentialsRejected,

    /// <summary>
    /// The bucket's virtual-hosted name (bucket.host of a custom endpoint) is not known to DNS, though the endpoint's host
    /// is: the server is reached with path-style addressing.
    /// </summary>
    BucketHostUnknown,

    /// <summary>Neither a region nor an endpoint says where the bucket is (no setting, no AWS_REGION, no profile region).</summary>
    NoRegion,
}

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
