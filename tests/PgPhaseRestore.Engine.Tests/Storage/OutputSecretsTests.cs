using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Copy;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Replace;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Servers;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Cli;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.Engine.Verification;
using PgPhaseRestore.TestRigs;
using PgPhaseRestore.Tests.Shared;

namespace PgPhaseRestore.Engine.Tests.Storage;

/// <summary>
/// Every object the hosts output (one of each cmdlet output type) serialised the way ConvertTo-Json, Export-Clixml or
/// a runbook's job output would reach it, every object in its public graph formatted with ToString(), every line
/// of log and debug output, and the CLI's --json: no secret key, session token or database password anywhere.
/// The archive is read from s3rver with explicit keys, so the settings that reach it hold the secrets.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class OutputSecretsTests
{
    private const string Password = "Pw-output-secret-7c1d";
    private const string SessionToken = "session-token-output-3b9a";
    private readonly Services _services;
    private readonly HashSet<string> _checkedTypes = [];
    private readonly ConcurrentQueue<string> _messages = new();

    public OutputSecretsTests(Services services) => _services = services;

    private static readonly JsonSerializerOptions Json = new()
    {
        ReferenceHandler = ReferenceHandler.IgnoreCycles,
        MaxDepth = 1024,
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly string[] Secrets = [S3rverServer.DistinctSecretKey, Password, SessionToken];

    private void Message(string line) => _messages.Enqueue(line);

    /// <summary>The value as JSON, and ToString() of it and of every object reachable through public properties.</summary>
    private void AssertClean(object value)
    {
        var text = JsonSerializer.Serialize(value, value.GetType(), Json);
        foreach (var secret in Secrets)
            Assert.DoesNotContain(secret, text);
        Walk(value, new HashSet<object>(ReferenceEqualityComparer.Instance));
    }

    private void Walk(object value, HashSet<object> seen)
    {
        var type = value.GetType();
        if (!type.IsValueType && !seen.Add(value))
            return;
        _checkedTypes.Add(type.FullName!);
        var text = value.ToString() ?? "";
        foreach (var secret in Secrets)
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{type.Name}.ToString() shows a secret: {text}");
        if (value is string || type.IsPrimitive || type.IsEnum || value is DateTimeOffset or DateTime or TimeSpan or decimal)
            return;
        if (value is IEnumerable items)
        {
            foreach (var item in items)
                if (item is not null)
                    Walk(item, seen);
            return;
        }
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is not { IsPublic: true })
                continue;
            if (property.GetValue(value) is { } child)
                Walk(child, seen);
        }
    }

    [Fact]
    public async Task No_output_object_message_or_json_of_a_bucket_backup_restore_replace_or_copy_carries_a_secret()
    {
        var cluster = _services.Postgres;
        var s3 = _services.S3;
        var role = "out_" + Guid.NewGuid().ToString("N")[..8];
        cluster.Execute("postgres", $"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{Password}'");
        var source = SampleDatabases.CreateKitchenSink(cluster, "outsec");
        var bucket = s3.CreateBucket("outsec");
        // Temporary credentials too: the session token is as secret as the key (s3rver ignores it).
        var storage = s3.Settings(S3rverServer.DistinctSecretKey, S3rverServer.DistinctAccessKey) with { SessionToken = SessionToken };
        PgConnectionInfo Connection(string db) =>
            PgConnectionInfo.Parse($"host={cluster.Host} port={cluster.Port} dbname={db}", _ => null).WithCredentials(role, Password);

        var manifest = await new BackupRunner(new BackupOptions { Source = Connection(source), Destination = $"s3://{bucket}/{source}.dump", Storage = storage },
            null, Message, Message).RunAsync(CancellationToken.None);
        AssertClean(manifest);
        AssertClean(storage);

        var location = new ArchiveLocation(manifest.Location, storage);
        AssertClean(location);
        var archive = await ArchiveReader.ReadAsync(location, Message, CancellationToken.None);
        AssertClean(archive);
        AssertClean(archive.Entries);
        var plan = await ArchivePlanning.PlanAsync(location, new PlanOptions { Strategy = RestoreStrategy.Auto }, CancellationToken.None, Connection("postgres"));
        AssertClean(plan.Phases);

        var target = source + "_r";
        var restore = new RestoreOptions { Target = Connection(target), CreateDatabase = true, Storage = storage };
        var results = await new PhaseRestorer(restore, null, Message, Message).RunAsync(plan.Phases, CancellationToken.None);
        Assert.All(results, r => Assert.Equal(PhaseStatus.Succeeded, r.Status));
        AssertClean(results);

        AssertClean(await RestoreVerifier.VerifyAsync(archive, Connection(target), Connection(source), RowCountMode.Exact, CancellationToken.None));
        AssertClean(await BackupCatalog.ListAsync(new ArchiveLocation($"s3://{bucket}/", storage), null, CancellationToken.None));
        AssertClean(await ServerDatabases.ListAsync(Connection("postgres"), new DatabaseFilter { Names = [source] }, CancellationToken.None));

        // A replace of the restored database reads the archive's rows from the bucket to verify, then swaps; this
        // process's pooled sessions on it are ended at the swap.
        var replace = new ReplaceOptions { Restore = new RestoreOptions { Target = Connection(target), Storage = storage }, Force = true };
        var replacePlan = await DatabaseReplace.PlanAsync(replace, plan.Phases, CancellationToken.None);
        var replaced = await DatabaseReplace.RunAsync(replacePlan, plan.Phases, null, Message, Message, CancellationToken.None);
        Assert.True(replaced.Succeeded, replaced.Message);
        AssertClean(replaced);

        var copy = await DatabaseCopy.RunAsync(
            new BackupOptions { Source = Connection(source), Destination = $"s3://{bucket}/copy/", Storage = storage },
            new PlanOptions(),
            new RestoreOptions { Target = Connection(source + "_c"), CreateDatabase = true, Storage = storage },
            null, null, Message, Message, CancellationToken.None);
        Assert.True(copy.Succeeded);
        AssertClean(copy);

        Assert.NotEmpty(_messages);
        foreach (var secret in Secrets)
            Assert.DoesNotContain(_messages, m => m.Contains(secret, StringComparison.Ordinal));
        Assert.Empty(CmdletOutputTypes.All.Except(_checkedTypes));

        // The CLI's JSON, with the keys where operators put them: in the AWS variables.
        var environment = PgPhaseCli.S3Environment(s3, S3rverServer.DistinctSecretKey);
        environment["AWS_ACCESS_KEY_ID"] = S3rverServer.DistinctAccessKey;
        environment["AWS_SESSION_TOKEN"] = SessionToken;
        var toc = PgPhaseCli.Run(environment, "toc", manifest.Location, "--json");
        Assert.True(toc.ExitCode == 0, toc.StdErr);
        Assert.Contains("\"Entries\"", toc.StdOut);
        foreach (var secret in Secrets)
            Assert.DoesNotContain(secret, toc.StdOut + toc.StdErr);
    }
}
