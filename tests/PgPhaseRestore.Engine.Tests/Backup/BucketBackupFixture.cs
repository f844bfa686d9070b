using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Backup;

/// <summary>
/// The kitchen-sink database plus one 80 MB table, backed up once into s3rver in 5 MiB parts. The big table's
/// data comes last in the archive, so a restore is still streaming it long after pg_restore has begun.
/// </summary>
public sealed class BucketBackupFixture(Services services) : BucketSourceFixture(services)
{
    public static MultipartOptions SmallParts => new() { InitialPartSize = MultipartOptions.MinPartSize, PartsInFlight = 2 };

    public BackupOptions Options(string database, string destination, string? name = null) => new()
    {
        Source = Connection(database),
        Destination = destination,
        BackupName = name,
        Compression = "0",
        Storage = S3.Settings(),
        Multipart = SmallParts,
    };

    public override async Task InitializeAsync()
    {
        Source = SampleDatabases.CreateKitchenSink(Cluster, "bkt");
        Cluster.Execute(Source, "CREATE TABLE zz_big (id bigint PRIMARY KEY, body text NOT NULL); " +
                                "INSERT INTO zz_big SELECT g, repeat(md5(g::text), 6) FROM generate_series(1, 400000) g; ANALYZE;");
        Bucket = S3.CreateBucket("bkt");
        Backup = await new BackupRunner(Options(Source, $"s3://{Bucket}/nightly/")).RunAsync(CancellationToken.None);
    }
}
