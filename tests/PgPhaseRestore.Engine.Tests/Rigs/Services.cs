using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Rigs;

/// <summary>The real services of one test run, started on first use and stopped when the run ends.</summary>
public sealed class Services : IDisposable
{
    private readonly Lazy<PostgresCluster> _postgres = new(() => new PostgresCluster());
    private readonly Lazy<S3rverServer> _s3 = new(() => new S3rverServer());

    public PostgresCluster Postgres => _postgres.Value;
    public S3rverServer S3 => _s3.Value;

    public void Dispose()
    {
        if (_s3.IsValueCreated)
            _s3.Value.Dispose();
        if (_postgres.IsValueCreated)
            _postgres.Value.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ServicesCollection : ICollectionFixture<Services>
{
    public const string Name = "real services";
}
