using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Backup;

/// <summary>A source database backed up once into s3rver, shared by a test class: what each such fixture holds and how it connects.</summary>
public abstract class BucketSourceFixture(Services services) : IAsyncLifetime
{
    public PostgresCluster Cluster { get; } = services.Postgres;
    public S3rverServer S3 { get; } = services.S3;
    public string Source { get; protected set; } = "";
    public string Bucket { get; protected set; } = "";
    public BackupManifest Backup { get; protected set; } = null!;

    public PgConnectionInfo Connection(string database, string? user = null, string? password = null) =>
        PgConnectionInfo.Parse($"host={Cluster.Host} port={Cluster.Port} dbname={database} user={user ?? Cluster.User}", _ => null)
            .WithCredentials(user ?? Cluster.User, password ?? Cluster.Password);

    public abstract Task InitializeAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;
}
