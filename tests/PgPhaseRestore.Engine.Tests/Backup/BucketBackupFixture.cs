using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.Engine.Tools;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Backup;

/// <summary>
/// The kitchen-sink database plus one 80 MB table, backed up once into s3rver in 5 MiB parts. The big table's
/// data comes last in the archive, so a restore is still streaming it long after pg_restore has begun.
/// </summary>
public sealed class BucketBackupFixture : IAsyncLifetime
{
    public BucketBackupFixture(Services services)
    {
        Cluster = services.Postgres;
        S3 = services.S3;
    }

    public PostgresCluster Cluster { get; }
    public S3rverServer S3 { get; }
    public string Source { get; private set; } = "";
    public string Bucket { get; private set; } = "";
    public BackupManifest Backup { get; private set; } = null!;

    public static MultipartOptions SmallParts => new() { InitialPartSize = MultipartOptions.MinPartSize, PartsInFlight = 2 };

    public PgConnectionInfo Connection(string database, string? user = null, string? password = null) =>
        PgConnectionInfo.Parse($"host={Cluster.Host} port={Cluster.Port} dbname={database} user={user ?? Cluster.User}", _ => null)
            .WithCredentials(user ?? Cluster.User, password ?? Cluster.Password);

    public BackupOptions Options(string database, string destination) => new()
    {
        Source = Connection(database),
        Destination = destination,
        Compression = "0",
        Storage = S3.Settings(),
        Multipart = SmallParts,
    };

    public async Task InitializeAsync()
    {
        Source = SampleDatabases.CreateKitchenSink(Cluster, "bkt");
        Cluster.Execute(Source, "CREATE TABLE zz_big (id bigint PRIMARY KEY, body text NOT NULL); " +
                                "INSERT INTO zz_big SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, 400000) g; ANALYZE;");
        Bucket = S3.CreateBucket("bkt");
        Backup = await new BackupRunner(Options(Source, $"s3://{Bucket}/nightly/")).RunAsync(CancellationToken.None);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
