using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Tests.Storage;

/// <summary>A malformed bucket location is refused before any request, naming the URI as given.</summary>
public sealed class S3LocationTests
{
    [Theory]
    [InlineData("s3://", "s3://: no bucket name after \"s3://\"; expected s3://bucket/path/name.dump")]
    [InlineData("s3:///key.dump", "s3:///key.dump: no bucket name after \"s3://\"; expected s3://bucket/path/name.dump")]
    [InlineData("s3://bucket", "s3://bucket: names a bucket but no object; expected s3://bucket/path/name.dump")]
    [InlineData("s3://bucket/", "s3://bucket/: names a bucket but no object; expected s3://bucket/path/name.dump")]
    [InlineData("s3://my bucket/a.dump", "s3://my bucket/a.dump: bucket name \"my bucket\" cannot contain \" \"")]
    [InlineData("s3://bucket:9000/a.dump", "s3://bucket:9000/a.dump: bucket name \"bucket:9000\" cannot contain \":\"")]
    public void An_archive_location_without_a_usable_bucket_or_key(string uri, string message)
    {
        var ex = Assert.Throws<PgPhaseException>(() => ArchiveSources.Open(new ArchiveLocation(uri, new S3Settings())));
        Assert.Equal(message, ex.Message);
    }

    [Theory]
    [InlineData("s3://")]
    [InlineData("s3:///nightly/")]
    public async Task A_listing_without_a_bucket(string uri)
    {
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => BackupCatalog.ListAsync(new ArchiveLocation(uri, new S3Settings()), null, CancellationToken.None));
        Assert.StartsWith($"{uri}: no bucket name after \"s3://\"", ex.Message);
    }

    [Theory]
    [InlineData("http://")]
    [InlineData("ftp://minio.example.com")]
    [InlineData("https://exa mple.com")]
    public void A_malformed_endpoint_is_named(string endpoint)
    {
        var ex = Assert.Throws<PgPhaseException>(() => ArchiveSources.Open(new ArchiveLocation("s3://bucket/a.dump", new S3Settings { EndpointUrl = endpoint })));
        Assert.Equal($"S3 endpoint \"{endpoint}\" is not a URL such as https://minio.example.com:9000", ex.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9000")]
    [InlineData("minio.example.com:9000")]
    public void A_usable_endpoint_is_accepted(string endpoint)
    {
        using var source = ArchiveSources.Open(new ArchiveLocation("s3://bucket/a.dump", new S3Settings { EndpointUrl = endpoint, AccessKeyId = "k", SecretAccessKey = "s" }));
        Assert.Equal("s3://bucket/a.dump", source.Location);
    }
}
