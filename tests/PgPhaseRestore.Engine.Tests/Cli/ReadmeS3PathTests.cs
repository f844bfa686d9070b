using System.Text.RegularExpressions;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;
using Xunit.Abstractions;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>
/// The README's five-minute S3 path runs as written: its bash block, marked &lt;!-- readme-example: s3-five-minutes --&gt;,
/// is run whole by bash from the repository's folder against the test cluster (PGHOST, PGPORT, PGUSER, PGPASSWORD, as
/// its text says) and a port of the test's choosing (PGPHASE_S3_PORT), with `pgphase` on PATH; the restore it makes
/// holds exactly the source's rows.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class ReadmeS3PathTests : IDisposable
{
    private const string Marker = "<!-- readme-example: s3-five-minutes -->";
    private readonly Services _services;
    private readonly ITestOutputHelper _output;
    private readonly TempDir _dir = new("pgphase-readme-s3-");

    public ReadmeS3PathTests(Services services, ITestOutputHelper output)
    {
        _services = services;
        _output = output;
    }

    private PostgresCluster Cluster => _services.Postgres;

    private static string Block()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md"));
        var block = Regex.Match(readme, Regex.Escape(Marker) + @"\s*```bash\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, $"README has no bash block after {Marker}");
        return block.Groups[1].Value;
    }

    [Fact]
    public void The_launcher_prints_its_usage_and_the_key_pairs_the_readme_names()
    {
        var r = ChildProcess.Run("node", [Path.Combine(RepositoryRoot.Path, "tests", "s3rver", "server.js"), "--help"], TimeSpan.FromMinutes(1));
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        Assert.StartsWith("usage: node server.js <data-dir> <address> <port>", r.StdOut);
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md"));
        foreach (var (key, secret) in new[] { (S3rverServer.AccessKey, S3rverServer.SecretKey), (S3rverServer.DistinctAccessKey, S3rverServer.DistinctSecretKey) })
        {
            Assert.Contains($"{key} / {secret}", r.StdOut);
            Assert.Contains($"`{key}` / `{secret}`", readme);
        }
        // The block uses the launcher and one of its key pairs, and creates its bucket.
        var block = Block();
        Assert.Contains("node tests/s3rver/server.js", block);
        Assert.Contains($"AWS_ACCESS_KEY_ID={S3rverServer.AccessKey} AWS_SECRET_ACCESS_KEY={S3rverServer.SecretKey}", block);
        Assert.Contains("-X PUT", block);
    }

    [Fact]
    public void The_readme_s3_path_runs_as_written_and_restores_the_source()
    {
        foreach (var db in new[] { "shop_copy", "shop" })
            Cluster.DropDatabase(db);
        var bin = Directory.CreateDirectory(_dir.File("bin")).FullName;
        var shim = Path.Combine(bin, "pgphase");
        File.WriteAllText(shim, $"#!/bin/sh\nexec dotnet '{PgPhaseCli.Dll}' \"$@\"\n");
        File.SetUnixFileMode(shim, (UnixFileMode)0b111_101_101);
        int port = FreePort.Next();
        var env = new Dictionary<string, string?>
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["PGHOST"] = Cluster.Host, ["PGPORT"] = Cluster.Port.ToString(), ["PGUSER"] = Cluster.User, ["PGPASSWORD"] = Cluster.Password,
            ["PGDATABASE"] = null, ["PGPHASE_S3_PORT"] = port.ToString(),
            // Nothing of the test run's own storage or connection settings: the block sets what it needs.
            ["S3_ENDPOINT_URL"] = null, ["AWS_ENDPOINT_URL"] = null, ["AWS_PROFILE"] = null, ["AWS_ACCESS_KEY_ID"] = null, ["AWS_SECRET_ACCESS_KEY"] = null,
            ["SRC_PGHOST"] = null, ["SRC_PGPORT"] = null, ["SRC_PGUSER"] = null, ["SRC_PGPASSWORD"] = null, ["SRC_DBNAME"] = null,
            ["DST_PGHOST"] = null, ["DST_PGPORT"] = null, ["DST_PGUSER"] = null, ["DST_PGPASSWORD"] = null, ["DST_DBNAME"] = null,
        };
        // As pasted into a shell, but stopping at the first failure and taking s3rver down with the script either way.
        var script = $"set -e\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\ncd '{RepositoryRoot.Path}'\n{Block()}";
        try
        {
            var r = ChildProcess.Run("bash", ["-c", script], TimeSpan.FromMinutes(10), env);
            _output.WriteLine($"exit {r.ExitCode}\n{r.StdOut}\n{r.StdErr}");
            Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
            Assert.Contains("s3://backups/shop/first.dump", r.StdOut);
            Assert.Equal(10000L, Cluster.Scalar<long>("shop_copy", "SELECT count(*) FROM items"));
            Assert.Equal(DatabaseContents.Fingerprint(Cluster, "shop"), DatabaseContents.Fingerprint(Cluster, "shop_copy"));
            Assert.False(FreePort.Accepts(port), "s3rver still runs after the block's kill");
        }
        finally
        {
            foreach (var db in new[] { "shop_copy", "shop" })
                Cluster.DropDatabase(db);
        }
    }

    public void Dispose() => _dir.Dispose();
}
