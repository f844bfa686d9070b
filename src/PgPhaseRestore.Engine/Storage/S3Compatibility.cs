namespace PgPhaseRestore.Engine.Storage;

/// <summary>Whether to speak the subset of S3 that non-AWS servers accept (no aws-chunked payloads, checksums only when required).</summary>
public enum S3Compatibility
{
    /// <summary>On for any endpoint that is not amazonaws.com.</summary>
    Auto,

    /// <summary>AWS itself: aws-chunked payloads and flexible checksums.</summary>
    Aws,

    /// <summary>Only what S3-compatible servers accept: no aws-chunked payloads, checksums only when required.</summary>
    Generic,
}
