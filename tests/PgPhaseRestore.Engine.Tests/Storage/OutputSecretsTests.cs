using System.Text.Json;
using System.Text.Json.Serialization;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Copy;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.Engine.Tools;
using PgPhaseRestore.Engine.Verification;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Storage;

/// <summary>
/// Every object the hosts output (archives, entries, phases, results, manifests, copy results) serialised the way
/// ConvertTo-Json, Export-Clixml or a runbook's job output would reach it: no secret key, session token or
/// database password anywhere in the public object graph, nor in ToString().
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class OutputSecretsTests
{
    private const string Password = "Pw-output-secret-7c1d";
    private const string SessionToken = "session-token-output-3b9a";
    private readonly Services _services;

    public OutputSecretsTests(Services services) => _services = services;

    private static readonly JsonSerializerOptions Json = new()
    {
        ReferenceHandler = ReferenceHandler.IgnoreCycles,
        MaxDepth = 256,
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
    };

    private static void AssertClean(object value, params string[] secrets)
    {
        var text = JsonSerializer.Serialize(value, value.GetType(), Json) + "\n" + value;
        if (value is System.Collections.IEnumerable items and not string)
            foreach (var item in items)
                if (item is not null)
                    text += "\n" + item;
        foreach (var secret in secrets)
            Assert.DoesNotContain(secret, text);
    }

    [Fact]
    public async Task No_output_object_of_a_bucket_backup_restore_or_copy_carries_a_secret()
    {
        var cluster = _services.Postgres;
        var s3 = _services.S3;
        var role = "out_" + Guid.NewGuid().ToString("N")[..8];
        cluster.Execute("postgres", $"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{Password}'");
        var source = SampleDatabases.CreateKitchenSink(cluster, "outsec");
        var bucket = s3.CreateBucket("outsec");
        var storage = s3.Settings(S3rverServer.DistinctSecretKey, S3rverServer.DistinctAccessKey);
        var secrets = new[] { S3rverServer.DistinctSecretKey, Password };
        PgConnectionInfo Connection(string db) =>
            PgConnectionInfo.Parse($"host={cluster.Host} port={cluster.Port} dbname={db}", _ => null).WithCredentials(role, Password);

        var manifest = await new BackupRunner(new BackupOptions { Source = Connection(source), Destination = $"s3://{bucket}/{source}.dump", Storage = storage })
            .RunAsync(CancellationToken.None);
        AssertClean(manifest, secrets);

        var archive = await ArchiveReader.ReadAsync(manifest.Location, storage);
        AssertClean(archive, secrets);
        AssertClean(archive.Entries, secrets);
        var plan = PhasePlanner.Plan(archive);
        AssertClean(plan.Phases, secrets);

        var target = source + "_r";
        var results = await new PhaseRestorer(new RestoreOptions
        {
            Target = Connection(target), CreateDatabase = true, Storage = storage,
        }).RunAsync(plan.Phases, CancellationToken.None);
        Assert.All(results, r => Assert.Equal(PhaseStatus.Succeeded, r.Status));
        AssertClean(results, secrets);

        var verification = await RestoreVerifier.VerifyAsync(archive, Connection(target), Connection(source), RowCountMode.Exact, CancellationToken.None);
        AssertClean(verification, secrets);

        var listed = await BackupCatalog.ListAsync($"s3://{bucket}/", null, storage, CancellationToken.None);
        AssertClean(listed, secrets);

        // Temporary credentials: the session token is as secret as the key.
        var withToken = s3.Settings(S3rverServer.DistinctSecretKey, S3rverServer.DistinctAccessKey);
        withToken.SessionToken = SessionToken;
        AssertClean(withToken, [.. secrets, SessionToken]);

        var copy = await DatabaseCopy.RunAsync(
            new BackupOptions { Source = Connection(source), Destination = $"s3://{bucket}/copy/", Storage = storage },
            new PlanOptions(),
            new RestoreOptions
            {
                Target = Connection(source + "_c"), CreateDatabase = true, Storage = storage,
            },
            null, null, null, null, CancellationToken.None);
        Assert.True(copy.Succeeded);
        AssertClean(copy, secrets);
    }
}
