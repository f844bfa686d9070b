using System.Text.Json;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>
/// `pgphase` compiled ahead of time (native AOT, as the README publishes it for fast starts in loops) does the
/// whole job: nothing it needs may depend on code made at run time (JSON shapes, enum converters, the AWS SDK,
/// Npgsql). Published once into a folder of the test's own, then run as operators run it.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class NativeCliTests : IDisposable
{
    private readonly PostgresCluster _cluster;
    private readonly S3rverServer _s3;
    private readonly TempDir _dir = new();

    public NativeCliTests(Services services)
    {
        _cluster = services.Postgres;
        _s3 = services.S3;
    }

    [Fact]
    public void The_natively_compiled_host_backs_up_to_a_bucket_restores_in_parallel_and_lists_like_pg_restore()
    {
        var output = _dir.File("native");
        var project = Path.Combine(RepositoryRoot.Path, "src", "PgPhaseRestore.Cli");
        ChildProcess.RunChecked("dotnet", ["publish", project, "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", output, "--nologo"],
            TimeSpan.FromMinutes(20), new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" });
        var pgphase = Path.Combine(output, "pgphase");
        Assert.True(File.Exists(pgphase));
        Assert.False(File.Exists(Path.Combine(output, "pgphase.dll")), "a native executable, not an assembly run by dotnet");

        var source = SampleDatabases.CreateKitchenSink(_cluster, "native");
        var environment = new Dictionary<string, string?>(_cluster.ClientEnvironment());
        foreach (var (k, v) in PgPhaseCli.S3Environment(_s3))
            environment[k] = v;
        ChildProcess.Result Run(params string[] args) => ChildProcess.Run(pgphase, args, TimeSpan.FromMinutes(10), environment);

        var local = _dir.File("native.dump");
        PgDump.Dump(_cluster, source, local, "-Fc");
        var list = Run("toc", local, "--list");
        Assert.True(list.ExitCode == 0, list.StdErr);
        Assert.Equal(PgDump.EntryLines(PgDump.List(_cluster, local)), PgDump.EntryLines(list.StdOut));

        var bucket = _s3.CreateBucket("native");
        var backup = Run("backup", "--source", $"dbname={source}", "--to", $"s3://{bucket}/nightly/{source}.dump");
        Assert.True(backup.ExitCode == 0, backup.StdErr);
        var location = backup.StdOut.Split('\t')[0];
        Assert.Equal($"s3://{bucket}/nightly/{source}.dump", location);

        var toc = Run("toc", location, "--json");
        Assert.True(toc.ExitCode == 0, toc.StdErr);
        using (var document = JsonDocument.Parse(toc.StdOut))
        {
            Assert.Equal("Custom", document.RootElement.GetProperty("Header").GetProperty("Format").GetString());
            Assert.True(document.RootElement.GetProperty("Entries").GetArrayLength() > 50);
        }

        var backups = Run("backups", $"s3://{bucket}/nightly/");
        Assert.True(backups.ExitCode == 0, backups.StdErr);
        Assert.Contains(location, backups.StdOut);
        // Nothing under a prefix is the user's answer, said as one line with exit 1, not a bug (exit 70).
        var none = Run("backups", $"s3://{bucket}/nothing-here/", "--latest");
        Assert.Equal((1, $"pgphase: no complete backup under s3://{bucket}/nothing-here/"), (none.ExitCode, none.StdErr.Trim()));

        var target = source + "_copy";
        var restore = Run("restore", location, "--target", $"dbname={target}", "--create", "--jobs", "2", "--strategy", "Auto");
        Assert.True(restore.ExitCode == 0, restore.StdErr);
        Assert.Equal(PgDump.ComparableSchema(_cluster, source), PgDump.ComparableSchema(_cluster, target));
        Assert.Equal(DatabaseContents.Fingerprint(_cluster, source), DatabaseContents.Fingerprint(_cluster, target));

        // The journal it wrote reads back: a second run finds every phase done.
        var again = Run("restore", location, "--target", $"dbname={target}", "--resume");
        Assert.True(again.ExitCode == 0, again.StdErr);
    }

    public void Dispose() => _dir.Dispose();
}
