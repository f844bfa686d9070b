using Amazon.S3;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Backup;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// The kitchen-sink database plus two tables of 200,000 rows (one with an index on its text), backed up once into
/// s3rver with pg_dump's default compression: a bucket backup whose manifest maps its data blocks.
/// </summary>
public sealed class BucketParallelFixture(Services services) : BucketSourceFixture(services)
{
    private readonly TempDir _dir = new("pgphase-bucket-parallel-");

    public string JournalDir => _dir.File("journals");

    public string JournalPath(string target) => Path.Combine(JournalDir, target + ".json");

    public override async Task InitializeAsync()
    {
        Source = SampleDatabases.CreateKitchenSink(Cluster, "par");
        Cluster.Execute(Source, """
            CREATE TABLE public.bulk_a (id bigint PRIMARY KEY, body text NOT NULL);
            INSERT INTO public.bulk_a SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 200000) g;
            CREATE TABLE public.bulk_b (id bigint PRIMARY KEY, body text NOT NULL, at timestamptz NOT NULL);
            INSERT INTO public.bulk_b SELECT g, md5((g * 7)::text) || md5(g::text), timestamptz '2024-01-01' + g * interval '1 minute' FROM generate_series(1, 200000) g;
            CREATE INDEX bulk_b_body ON public.bulk_b (body);
            ANALYZE;
            """);
        Bucket = S3.CreateBucket("par");
        Backup = await new BackupRunner(new BackupOptions
        {
            Source = Connection(Source), Destination = $"s3://{Bucket}/nightly/", Storage = S3.Settings(), Multipart = BucketBackupFixture.SmallParts,
        }).RunAsync(CancellationToken.None);
    }

    /// <summary>Restores the archive at <paramref name="location"/> into <paramref name="target"/> with the engine, as the cluster's superuser.</summary>
    public async Task<IReadOnlyList<PhaseResult>> RestoreAsync(string location, string target, RestoreStrategy strategy = RestoreStrategy.PreCreate,
        int jobs = 4, long splitTableSize = 0, int[]? phases = null, bool resume = false, Action<string>? log = null, Action<string>? debug = null,
        IProgress<RestoreProgress>? progress = null, S3Settings? storage = null, CancellationToken ct = default)
    {
        storage ??= S3.Settings();
        var plan = await ArchivePlanning.PlanAsync(new ArchiveLocation(location, storage), new PlanOptions { Strategy = strategy, MemoryBudget = 256L * 1024 * 1024 }, ct);
        var options = new RestoreOptions
        {
            Target = Connection(target), CreateDatabase = true, NoOwner = true, NoPrivileges = true, JournalPath = JournalPath(target),
            Jobs = jobs, SplitTableSize = splitTableSize, Phases = phases ?? [], Resume = resume, Storage = storage,
        };
        return await new PhaseRestorer(options, progress, log, debug).RunAsync(plan.Phases, ct);
    }

    internal static async Task<byte[]> DownloadAsync(IAmazonS3 client, S3ObjectLocation location)
    {
        using var response = await client.GetObjectAsync(location.Bucket, location.Key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public override Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}
