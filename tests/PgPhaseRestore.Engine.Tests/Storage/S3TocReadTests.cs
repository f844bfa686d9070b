using Amazon.S3;
using Amazon.S3.Model;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Storage;

/// <summary>Reading a TOC from a bucket transfers only the front of the object, through the real S3 protocol.</summary>
[Collection(ServicesCollection.Name)]
public sealed class S3TocReadTests : IClassFixture<S3TocReadTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        private readonly TempDir _dir = new();

        public Fixture(Services services)
        {
            S3 = services.S3;
            var pg = services.Postgres;
            Database = SampleDatabases.CreateKitchenSink(pg, "s3toc");
            // Incompressible-ish filler so the dump spans several parts.
            pg.Execute(Database, "CREATE TABLE app.filler AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS a, md5((g * 13)::text) AS b FROM generate_series(1, 180000) g");
            DumpPath = _dir.File("big.dump");
            PgDump.Dump(pg, Database, DumpPath, "-Fc", "-Z0");
            Bucket = S3.CreateBucket("toc");
            Key = "nightly/big.dump";
            using var client = S3.Client();
            PartCount = UploadMultipart(client, Bucket, Key, DumpPath, 5 * 1024 * 1024);
            ObjectSize = new FileInfo(DumpPath).Length;
        }

        public S3rverServer S3 { get; }
        public string Database { get; }
        public string DumpPath { get; }
        public string Bucket { get; }
        public string Key { get; }
        public int PartCount { get; }
        public long ObjectSize { get; }

        public void Dispose() => _dir.Dispose();
    }

    private readonly Fixture _f;

    public S3TocReadTests(Fixture fixture) => _f = fixture;

    internal static int UploadMultipart(IAmazonS3 client, string bucket, string key, string path, int partSize)
    {
        var init = client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key }).GetAwaiter().GetResult();
        var etags = new List<PartETag>();
        using var file = File.OpenRead(path);
        var buffer = new byte[partSize];
        int partNumber = 0;
        while (true)
        {
            int n = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (n == 0)
                break;
            partNumber++;
            var part = client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket, Key = key, UploadId = init.UploadId, PartNumber = partNumber,
                InputStream = new MemoryStream(buffer, 0, n), UseChunkEncoding = false,
            }).GetAwaiter().GetResult();
            etags.Add(new PartETag(partNumber, part.ETag));
        }
        client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket, Key = key, UploadId = init.UploadId, PartETags = etags,
        }).GetAwaiter().GetResult();
        return partNumber;
    }

    [Fact]
    public async Task Toc_of_a_multipart_object_reads_under_one_percent_and_lists_like_the_file()
    {
        Assert.True(_f.PartCount >= 3, $"the object should span at least 3 parts, has {_f.PartCount}");
        using (var client = _f.S3.Client())
        {
            var head = await client.GetObjectMetadataAsync(_f.Bucket, _f.Key);
            Assert.Equal(_f.ObjectSize, head.ContentLength); // no aws-chunked framing stored as data
        }

        using var source = ArchiveSources.Open(new ArchiveLocation($"s3://{_f.Bucket}/{_f.Key}", _f.S3.Settings()));
        var fromBucket = await ArchiveReader.ReadAsync(source);
        using var local = ArchiveSources.Open(new ArchiveLocation(_f.DumpPath));
        var fromFile = await ArchiveReader.ReadAsync(local);

        Assert.Equal(RestoreList.Format(fromFile), RestoreList.Format(fromBucket));
        Assert.Equal($"s3://{_f.Bucket}/{_f.Key}", fromBucket.Source);
        Assert.True(source.BytesTransferred > 0);
        Assert.True(source.BytesTransferred < _f.ObjectSize / 100,
            $"transferred {source.BytesTransferred} bytes of a {_f.ObjectSize}-byte object");
    }

    /// <summary>
    /// Auto on a plain pg_dump file in a bucket, with no manifest beside it and no source: nothing is downloaded to size
    /// the indexes, so each btree index is built early, and the plan says why, index by index.
    /// </summary>
    [Fact]
    public async Task Auto_plans_a_bucket_archive_without_a_manifest_with_every_index_early_and_says_why()
    {
        var location = new ArchiveLocation($"s3://{_f.Bucket}/{_f.Key}", _f.S3.Settings());
        var plan = await ArchivePlanning.PlanAsync(location, new PlanOptions { Strategy = RestoreStrategy.Auto, MemoryBudget = 1L << 40 }, default);

        Assert.Equal(RestoreStrategy.Auto, plan.Strategy);
        Assert.NotEmpty(plan.IndexDecisions);
        Assert.DoesNotContain(plan.IndexDecisions, d => d.Late);
        Assert.All(plan.IndexDecisions.Where(d => d.Reason.StartsWith("no size information", StringComparison.Ordinal)), d =>
            Assert.Equal("no size information (no manifest, no source connection, and the archive is not a local file or directory; the data is not downloaded to size it)", d.Reason));
        Assert.Contains(plan.IndexDecisions, d => d.Reason.StartsWith("no size information", StringComparison.Ordinal) && d.Entry.Type == "INDEX");
    }

    [Fact]
    public async Task Missing_key_names_bucket_and_key()
    {
        using var source = ArchiveSources.Open(new ArchiveLocation($"s3://{_f.Bucket}/nightly/missing.dump", _f.S3.Settings()));
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => ArchiveReader.ReadAsync(source));
        Assert.Equal($"s3://{_f.Bucket}/nightly/missing.dump: no such object: bucket \"{_f.Bucket}\" has no key \"nightly/missing.dump\"", ex.Message);
    }

    [Fact]
    public async Task Missing_bucket_is_named()
    {
        using var source = ArchiveSources.Open(new ArchiveLocation("s3://no-such-bucket-here/x.dump", _f.S3.Settings()));
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => ArchiveReader.ReadAsync(source));
        Assert.Equal("s3://no-such-bucket-here/x.dump: no such bucket \"no-such-bucket-here\"", ex.Message);
    }

    [Fact]
    public async Task Unknown_key_is_access_denied_and_the_secret_is_not_in_the_message()
    {
        const string wrongSecret = "not-the-secret-0123456789";
        using var source = ArchiveSources.Open(new ArchiveLocation($"s3://{_f.Bucket}/{_f.Key}", _f.S3.Settings(wrongSecret, "NOBODY")));
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => ArchiveReader.ReadAsync(source));
        Assert.StartsWith($"s3://{_f.Bucket}/{_f.Key}: access denied", ex.Message);
        Assert.DoesNotContain(wrongSecret, ex.ToString());
    }

    [Fact]
    public async Task An_object_that_is_not_an_archive_names_the_uri()
    {
        using (var client = _f.S3.Client())
            await client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _f.Bucket, Key = "notes.txt", ContentBody = "just some text", UseChunkEncoding = false,
            });
        using var source = ArchiveSources.Open(new ArchiveLocation($"s3://{_f.Bucket}/notes.txt", _f.S3.Settings()));
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => ArchiveReader.ReadAsync(source));
        Assert.StartsWith($"s3://{_f.Bucket}/notes.txt: not a pg_dump archive", ex.Message);
    }

    [Fact]
    public void Malformed_uri_is_explained()
    {
        var ex = Assert.Throws<PgPhaseException>(() => ArchiveSources.Open(new ArchiveLocation("s3://just-a-bucket", _f.S3.Settings())));
        Assert.Equal("s3://just-a-bucket: names a bucket but no object; expected s3://just-a-bucket/path/name.dump", ex.Message);
    }
}
