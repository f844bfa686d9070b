using System.Diagnostics;
using System.Text.RegularExpressions;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>
/// Every `pgphase` command that touches a bucket, run as its own process against storage that is not there:
/// a loopback port nothing listens on, and an s3rver that was stopped. Each must fail with exit code 1 and one
/// line naming the endpoint and the object, no stack trace, no .NET type, no secret, and within bounded retries.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed partial class S3FailureCommandTests : IClassFixture<S3FailureCommandTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public Fixture(Services services)
        {
            Cluster = services.Postgres;
            Source = Cluster.CreateDatabase("s3fail");
            Cluster.Execute(Source, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100);");
            Stopped = new S3rverServer();
            Bucket = Stopped.CreateBucket("gone");
            Stopped.Stop();
            NothingListening = $"http://127.0.0.1:{FreePort.Next()}";
        }

        public PostgresCluster Cluster { get; }
        public string Source { get; }
        public S3rverServer Stopped { get; }
        public string Bucket { get; }
        public string NothingListening { get; }

        public void Dispose() => Stopped.Dispose();
    }

    private const string Secret = "Sk-never-shown-0123456789abcdef";
    private readonly Fixture _f;

    public S3FailureCommandTests(Fixture fixture) => _f = fixture;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in new[] { "nothing listening", "stopped s3rver" })
            foreach (var command in new[] { "toc", "plan", "backups", "backup", "restore", "copy" })
                data.Add(endpoint, command);
        return data;
    }

    private Dictionary<string, string?> Environment(string endpoint) => new()
    {
        ["S3_ENDPOINT_URL"] = endpoint, ["AWS_S3_FORCE_PATH_STYLE"] = "true", ["AWS_REGION"] = "us-east-1",
        ["AWS_ACCESS_KEY_ID"] = S3rverServer.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = Secret, ["S3_MAX_RETRIES"] = "2",
        ["SRC_PGHOST"] = _f.Cluster.Host, ["SRC_PGPORT"] = _f.Cluster.Port.ToString(), ["SRC_PGUSER"] = _f.Cluster.User,
        ["SRC_PGPASSWORD"] = _f.Cluster.Password, ["SRC_DBNAME"] = _f.Source,
        ["DST_PGHOST"] = _f.Cluster.Host, ["DST_PGPORT"] = _f.Cluster.Port.ToString(), ["DST_PGUSER"] = _f.Cluster.User,
        ["DST_PGPASSWORD"] = _f.Cluster.Password, ["DST_DBNAME"] = _f.Source + "_never",
        ["PGPASSWORD"] = null, ["PGHOST"] = null, ["PGUSER"] = null,
    };

    [GeneratedRegex(@"\b(System|Amazon|Npgsql|PgPhaseRestore|Microsoft)\.[A-Z]\w*")]
    private static partial Regex DotNetTypeName();

    private static void AssertOneLine(ChildProcess.Result r, TimeSpan took, params string[] mentions)
    {
        var all = r.StdErr + r.StdOut;
        Assert.True(r.ExitCode == 1, $"exit code {r.ExitCode}: {all}");
        var lines = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr, got:\n" + r.StdErr);
        Assert.StartsWith("pgphase: ", lines[0]);
        foreach (var m in mentions)
            Assert.Contains(m, lines[0]);
        Assert.DoesNotContain("Exception", all);
        Assert.DoesNotContain("   at ", all);
        Assert.DoesNotMatch(DotNetTypeName(), all);
        Assert.DoesNotContain(Secret, all);
        Assert.Equal("", r.StdOut);
        // Bounded retries: S3_MAX_RETRIES=2 against a refused connection is a matter of seconds, not minutes.
        Assert.True(took < TimeSpan.FromSeconds(30), $"took {took.TotalSeconds:0} s");
    }

    /// <summary>
    /// An endpoint written without a scheme ("minio.example.com:9000") is reached over https, and a failure names the
    /// URL that was used, not the SDK's refusal of the value.
    /// </summary>
    [Fact]
    public void An_endpoint_without_a_scheme_is_reached_over_https_and_named_so()
    {
        var bare = _f.NothingListening["http://".Length..];
        var clock = Stopwatch.StartNew();
        var r = PgPhaseCli.Run(Environment(bare), "backups", $"s3://{_f.Bucket}/nightly/");
        AssertOneLine(r, clock.Elapsed, $"the S3 endpoint https://{bare} did not answer", $"s3://{_f.Bucket}/nightly/");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_command_against_storage_that_is_not_there_prints_one_line_naming_endpoint_bucket_and_key(string endpointKind, string command)
    {
        var endpoint = endpointKind == "stopped s3rver" ? _f.Stopped.Endpoint : _f.NothingListening;
        var object_ = $"s3://{_f.Bucket}/nightly/{_f.Source}/today.dump";
        var prefix = $"s3://{_f.Bucket}/nightly/";
        string[] args = command switch
        {
            "toc" => ["toc", object_],
            "plan" => ["plan", object_],
            "backups" => ["backups", prefix],
            "backup" => ["backup", "--to", prefix, "--name", "today", "--quiet"],
            "restore" => ["restore", object_, "--create", "--quiet"],
            "copy" => ["copy", "--to", prefix, "--name", "today", "--create", "--quiet"],
            _ => throw new ArgumentOutOfRangeException(nameof(command)),
        };
        var clock = Stopwatch.StartNew();

        var r = PgPhaseCli.Run(Environment(endpoint), args);

        AssertOneLine(r, clock.Elapsed, endpoint, command == "backups" ? prefix : object_, "did not answer");
    }

    [Fact]
    public void Without_credentials_the_line_says_where_they_were_looked_for_and_what_to_set()
    {
        using var home = new TempDir();
        var env = Environment(_f.NothingListening);
        env["AWS_ACCESS_KEY_ID"] = null;
        env["AWS_SECRET_ACCESS_KEY"] = null;
        env["AWS_PROFILE"] = null;
        env["HOME"] = home.Path;
        env["AWS_SHARED_CREDENTIALS_FILE"] = home.File("none");
        env["AWS_CONFIG_FILE"] = home.File("none");
        env["AWS_EC2_METADATA_DISABLED"] = "true";
        var clock = Stopwatch.StartNew();

        var r = PgPhaseCli.Run(env, "toc", $"s3://{_f.Bucket}/nightly/app.dump");

        AssertOneLine(r, clock.Elapsed, $"s3://{_f.Bucket}/nightly/app.dump: no S3 credentials", _f.NothingListening,
            "environment variables", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", "--s3-profile");
    }

    [Fact]
    public void A_server_that_stops_mid_backup_ends_it_in_one_line_after_the_retries_naming_the_upload_left_behind()
    {
        var s3 = _f.Stopped;
        s3.Start();
        try
        {
            var location = $"s3://{_f.Bucket}/midway/{Guid.NewGuid():N}.dump";
            var lockAt = S3ObjectLocation.Parse(location + BackupNaming.LockSuffix);
            using var client = s3.Client();
            using var dir = new TempDir();
            var pgDump = new GatedPgTool(dir.Path, "pg_dump");
            using var run = PgPhaseCli.Start(Environment(s3.Endpoint), "backup", "--to", location, "--quiet", "--pg-dump", pgDump.Path);
            var clock = Stopwatch.StartNew();
            void WaitFor(Func<bool> condition)
            {
                while (!condition())
                {
                    Assert.False(run.HasExited, run.HasExited ? run.Wait(TimeSpan.FromSeconds(5)).StdErr : "");
                    Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), "the backup never got under way");
                    Thread.Sleep(10);
                }
            }

            // Hold pg_dump at the gate until the run holds its lock, then at its table lock until the upload is open; then take the server away.
            WaitFor(() => BucketProbe.DescribeIfExistsAsync(client, lockAt, CancellationToken.None).GetAwaiter().GetResult() is not null);
            using (var gate = _f.Cluster.Open(_f.Source))
            {
                using (var block = gate.CreateCommand())
                {
                    block.CommandText = "SET lock_timeout = '5s'; BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE";
                    block.ExecuteNonQuery();
                }
                pgDump.Open();
                WaitFor(() => s3.PendingUploads(_f.Bucket).Count > 0 && _f.Cluster.Scalar<long>(_f.Source,
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgphase backup' AND wait_event_type = 'Lock'") > 0);
                s3.Stop();
                clock.Restart();
            }
            var r = run.Wait(TimeSpan.FromMinutes(2));

            AssertOneLine(r, clock.Elapsed, $"pgphase: {location}: could not upload part 1: the S3 endpoint {s3.Endpoint} did not answer",
                "gave up after 3 attempts", $"the incomplete upload {Assert.Single(s3.PendingUploads(_f.Bucket))} of {location} could not be aborted");
        }
        finally
        {
            s3.Stop();
        }
    }

    [Fact]
    public void Without_quiet_a_failed_backup_adds_no_stack_trace_to_its_progress_lines()
    {
        var r = PgPhaseCli.Run(Environment(_f.NothingListening), "backup", "--to", $"s3://{_f.Bucket}/loud/", "--skip-checks");

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"pgphase: s3://{_f.Bucket}/loud/{_f.Source}/", r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Contains("could not read the backup lock", r.StdErr);
        Assert.DoesNotContain("   at ", r.StdErr);
        Assert.DoesNotMatch(DotNetTypeName(), r.StdErr);
    }
}
