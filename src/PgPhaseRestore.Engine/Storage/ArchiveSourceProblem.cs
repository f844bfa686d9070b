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
