using System.Net;
using Amazon.Runtime;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>How servers answer If-None-Match / If-Match on writes: refused (412, or 409 while a competing conditional write is in flight), or not implemented at all.</summary>
internal static class ConditionalWrites
{
    public static bool IsRefused(AmazonServiceException ex) =>
        ex.StatusCode == HttpStatusCode.PreconditionFailed || ex.ErrorCode is "PreconditionFailed" or "ConditionalRequestConflict";

    public static bool IsUnsupported(AmazonServiceException ex) =>
        ex.StatusCode == HttpStatusCode.NotImplemented || ex.ErrorCode == "NotImplemented";
}
