using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace PgPhaseRestore.Engine.Storage;

/// <summary>
/// The AWS SDK's default credential chain (environment, profile, web identity, container and instance roles),
/// resolved on first use as the SDK would resolve it itself. A chain that finds nothing fails as
/// <see cref="NotFoundException"/>, so that the failure is recognised by its type rather than by the SDK's wording.
/// </summary>
internal sealed class DefaultChainCredentials(IClientConfig config) : AWSCredentials
{
    private AWSCredentials? _resolved;

    public override ImmutableCredentials GetCredentials()
    {
        try
        {
            _resolved ??= DefaultAWSCredentialsIdentityResolver.GetCredentials(config);
        }
        catch (AmazonClientException ex)
        {
            throw new NotFoundException(ex);
        }
        return _resolved.GetCredentials();
    }

    public override async Task<ImmutableCredentials> GetCredentialsAsync()
    {
        try
        {
            _resolved ??= await DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync(config).ConfigureAwait(false);
        }
        catch (AmazonClientException ex)
        {
            throw new NotFoundException(ex);
        }
        return await _resolved.GetCredentialsAsync().ConfigureAwait(false);
    }

    /// <summary>No source of the default chain had credentials.</summary>
    internal sealed class NotFoundException(AmazonClientException inner) : AmazonClientException(inner.Message, inner);
}
