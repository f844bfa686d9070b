using System.Text.RegularExpressions;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;
using Xunit.Abstractions;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>`pgphase backup`, `databases`, `backups` and `restore` from a bucket, as separate processes watched through /proc.</summary>
[Collection(ServicesCollection.Name)]
public sealed class BackupCommandTests
{
    private readonly Services _services;
    private readonly ITestOutputHelper _output;

    public BackupCommandTests(Services services, ITestOutputHelper output)
    {
        _services = services;
        _output = output;
    }

    private PostgresCluster Cluster => _services.Postgres;
    private S3rverServer S3 => _services.S3;

    private Dictionary<string, string?> Environment(string? sourceDb, string? user = null, string? password = null, string? s3Secret = null)
    {
        var env = PgPhaseCli.S3Environment(S3, s3Secret);
        env["SRC_PGHOST"] = Cluster.Host;
        env["SRC_PGPORT"] = Cluster.Port.ToString();
        env["SRC_PGUSER"] = user ?? Cluster.User;
        env["SRC_PGPASSWORD"] = password ?? Cluster.Password;
        env["SRC_DBNAME"] = sourceDb;
        env["DST_PGHOST"] = Cluster.Host;
        env["DST_PGPORT"] = Cluster.Port.ToString();
        env["DST_PGUSER"] = user ?? Cluster.User;
        env["DST_PGPASSWORD"] = password ?? Cluster.Password;
        env["PGPASSWORD"] = null;
        env["PGHOST"] = null;
        env["PGUSER"] = null;
        return env;
    }

    /// <summary>Peak resident memory (VmHWM) of a process, sampled until it exits.</summary>
    private static long WatchPeak(ChildProcess.Running run)
    {
        long peak = 0;
        var status = $"/proc/{run.Process.Id}/status";
        while (!run.HasExited)
        {
            try
            {
                var m = Regex.Match(File.ReadAllText(status), @"VmHWM:\s+(\d+) kB");
                if (m.Success)
                    peak = Math.Max(peak, long.Parse(m.Groups[1].Value) * 1024);
            }
            catch (IOException)
            {
            }
            Thread.Sleep(20);
        }
        return peak;
    }

    [Fact]
    public void A_one_part_backup_says_1_part_and_restore_progress_never_counts_past_its_total()
    {
        var bucket = S3.CreateBucket("onepart");
        var db = Cluster.CreateDatabase("onepart");
        Cluster.Execute(db, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100); SELECT lo_from_bytea(0, 'x'), lo_from_bytea(0, 'y');");
        var backup = PgPhaseCli.Run(Environment(db), "backup", "--to", $"s3://{bucket}/{db}.dump");
        _output.WriteLine(backup.StdErr);
        Assert.True(backup.ExitCode == 0, backup.StdErr);
        Assert.Contains("1 part stored", backup.StdErr);
        Assert.DoesNotContain("1 parts", backup.StdErr);

        var env = Environment(db);
        env["DST_DBNAME"] = db + "_r";
        // PreCreate keeps the primary key in phase 2: one entry, said in the singular.
        var restore = PgPhaseCli.Run(env, "restore", $"s3://{bucket}/{db}.dump", "--create", "--strategy", "PreCreate");
        _output.WriteLine(restore.StdErr + restore.StdOut);
        Assert.True(restore.ExitCode == 0, restore.StdErr + restore.StdOut);
        foreach (System.Text.RegularExpressions.Match m in Regex.Matches(restore.StdErr, @"^phase \d \w+: (\d+)/(\d+) ", RegexOptions.Multiline))
            Assert.True(int.Parse(m.Groups[1].Value) <= int.Parse(m.Groups[2].Value), m.Value);
        Assert.Contains("Phase 2 Indexes: Succeeded", restore.StdOut);
        Assert.Contains("(1 entry, 0 errors)", restore.StdOut);
    }

    [Fact]
    public void A_200MB_backup_stays_within_parts_in_flight_times_part_size_plus_a_fixed_overhead()
    {
        var bucket = S3.CreateBucket("mem");
        const long partSize = 5L * 1024 * 1024;
        const int inFlight = 2;
        var tiny = Cluster.CreateDatabase("memtiny");
        Cluster.Execute(tiny, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);");
        var big = Cluster.CreateDatabase("membig");
        Cluster.Execute(big, "CREATE TABLE big (id bigint PRIMARY KEY, a text, b text); " +
                             "INSERT INTO big SELECT g, repeat(md5(g::text), 3), repeat(md5((g * 7)::text), 2) FROM generate_series(1, 1300000) g;");

        long Backup(string db, out long size)
        {
            using var run = PgPhaseCli.Start(Environment(db), "backup", "--to", $"s3://{bucket}/{db}.dump", "--compress", "0",
                "--part-size", "5MiB", "--parts-in-flight", inFlight.ToString(), "--quiet");
            long peak = WatchPeak(run);
            var result = run.Wait(TimeSpan.FromMinutes(10));
            Assert.True(result.ExitCode == 0, result.StdErr);
            size = long.Parse(result.StdOut.Split('\t')[1]);
            return peak;
        }

        long baseline = Backup(tiny, out _);
        long peak = Backup(big, out long dumpSize);
        long bound = baseline + inFlight * partSize + 48L * 1024 * 1024;
        _output.WriteLine($"dump {dumpSize / 1048576} MiB; peak {peak / 1048576} MiB; tiny-dump peak {baseline / 1048576} MiB; bound {bound / 1048576} MiB");
        Assert.True(dumpSize > 200L * 1024 * 1024, $"the dump is only {dumpSize} bytes");
        Assert.True(peak < bound, $"peak working set {peak / 1048576} MiB exceeds {bound / 1048576} MiB (fixed overhead measured on a one-row database: {baseline / 1048576} MiB)");
    }

    [Fact]
    public void Secrets_never_appear_in_child_arguments_environments_output_or_errors()
    {
        var user = "bk_" + Guid.NewGuid().ToString("N")[..8];
        var password = "Pw-" + Guid.NewGuid().ToString("N");
        var s3Secret = "Sk-" + Guid.NewGuid().ToString("N");
        Cluster.Execute("postgres", $"CREATE ROLE {user} LOGIN SUPERUSER PASSWORD '{password}'");
        var source = SampleDatabases.CreateKitchenSink(Cluster, "secret");
        Cluster.Execute(source, "CREATE TABLE filler AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 300000) g");
        var bucket = S3.CreateBucket("secret");
        var target = source + "_copy";

        var seen = new HashSet<string>();
        var leaks = new List<string>();
        ChildProcess.Result Watch(params string[] args)
        {
            using var run = PgPhaseCli.Start(Environment(source, user, password, s3Secret), [.. args, "--debug"]);
            while (!run.HasExited)
            {
                foreach (var p in ProcessTable.All())
                {
                    if (p.Name is "pg_dump" or "pg_restore" && p.CommandLine.Contains(source, StringComparison.Ordinal))
                    {
                        seen.Add(p.Name);
                        // A child's environment is readable by its user for as long as it runs: only libpq's own variables belong there.
                        foreach (var v in p.Environment())
                            if (v.Contains(password, StringComparison.Ordinal) || v.Contains(s3Secret, StringComparison.Ordinal) ||
                                v.StartsWith("AWS_", StringComparison.Ordinal) || v.StartsWith("DST_", StringComparison.Ordinal) ||
                                v.StartsWith("SRC_", StringComparison.Ordinal) || v.StartsWith("PGPASSWORD=", StringComparison.Ordinal))
                                leaks.Add($"{p.Pid} {p.Name} environment: {v.Split('=')[0]}");
                    }
                    if (p.CommandLine.Contains(password, StringComparison.Ordinal) || p.CommandLine.Contains(s3Secret, StringComparison.Ordinal))
                        leaks.Add($"{p.Pid} {p.Name}: {p.CommandLine}");
                }
                Thread.Sleep(2);
            }
            var result = run.Wait(TimeSpan.FromMinutes(5));
            foreach (var text in new[] { result.StdOut, result.StdErr })
                if (text.Contains(password, StringComparison.Ordinal) || text.Contains(s3Secret, StringComparison.Ordinal))
                    leaks.Add("output of pgphase " + args[0]);
            return result;
        }

        var backup = Watch("backup", "--to", $"s3://{bucket}/{source}.dump");
        Assert.True(backup.ExitCode == 0, backup.StdErr);
        Assert.Contains("debug: pg_dump -d", backup.StdErr);
        var restore = Watch("restore", $"s3://{bucket}/{source}.dump", "--target", $"dbname={target}", "--create", "--no-owner");
        Assert.True(restore.ExitCode == 0, restore.StdErr + restore.StdOut);

        // Failures quote what went wrong, never the secret that was used.
        var wrongPassword = "Wrong-" + Guid.NewGuid().ToString("N");
        var failed = PgPhaseCli.Run(Environment(source, user, wrongPassword, s3Secret), "backup", "--to", $"s3://{bucket}/failed.dump", "--debug");
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("password authentication failed", failed.StdErr);
        Assert.DoesNotContain(wrongPassword, failed.StdErr + failed.StdOut);
        Assert.DoesNotContain(s3Secret, failed.StdErr + failed.StdOut);

        Assert.Contains("pg_dump", seen);
        Assert.Contains("pg_restore", seen);
        Assert.Empty(leaks);
        Assert.Equal(DatabaseContents.Fingerprint(Cluster, source), DatabaseContents.Fingerprint(Cluster, target));
    }

    [Fact]
    public void A_shell_loop_over_a_servers_databases_backs_each_up_to_its_own_key_and_restores_each_under_a_new_name()
    {
        var prefix = "loop" + Guid.NewGuid().ToString("N")[..6];
        var names = new[] { "a", "b", "c" }.Select(s => $"{prefix}_{s}").ToList();
        foreach (var (name, rows) in names.Zip(new[] { 10, 2000, 30000 }))
        {
            Cluster.Execute("postgres", $"CREATE DATABASE {name}");
            Cluster.Execute(name, $"CREATE TABLE items (id int PRIMARY KEY, label text UNIQUE); INSERT INTO items SELECT g, '{name}-' || g FROM generate_series(1, {rows}) g; " +
                                  "CREATE TABLE notes (id serial PRIMARY KEY, item int REFERENCES items, body text); INSERT INTO notes (item, body) SELECT id, md5(label) FROM items;");
        }
        var bucket = S3.CreateBucket("loop");
        var env = Environment(null);
        env["PGPHASE"] = $"dotnet {PgPhaseCli.Dll}";
        env["BUCKET"] = bucket;
        env["PREFIX"] = prefix;
        const string script = """
            set -euo pipefail
            $PGPHASE databases --name "${PREFIX}_*" --names-only | while read -r db; do
              SRC_DBNAME="$db" $PGPHASE backup --to "s3://$BUCKET/nightly/" --name today --quiet >/dev/null
            done
            for db in $($PGPHASE databases --name "${PREFIX}_*" --names-only); do
              latest=$($PGPHASE backups "s3://$BUCKET/nightly/$db/" --latest)
              DST_DBNAME="${db}_restored" $PGPHASE restore "$latest" --create --quiet >/dev/null
            done
            $PGPHASE backups "s3://$BUCKET/nightly/"
            """;
        var r = ChildProcess.Run("/bin/bash", ["-c", script], TimeSpan.FromMinutes(10), env);
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);

        var listed = r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains("s3://")).ToList();
        Assert.Equal(3, listed.Count);
        foreach (var name in names)
        {
            Assert.Contains(listed, l => l.EndsWith($"s3://{bucket}/nightly/{name}/today.dump", StringComparison.Ordinal));
            Assert.Equal(DatabaseContents.Fingerprint(Cluster, name), DatabaseContents.Fingerprint(Cluster, name + "_restored"));
        }
    }

    [Fact]
    public void Restore_from_a_prefix_takes_the_key_the_backup_wrote_for_SRC_DBNAME_and_BACKUP_NAME_or_the_newest()
    {
        var db = Cluster.CreateDatabase("seed");
        Cluster.Execute(db, "CREATE TABLE items (id int PRIMARY KEY); INSERT INTO items SELECT generate_series(1, 100)");
        var bucket = S3.CreateBucket("seed");
        var env = Environment(db);
        env["BACKUP_NAME"] = "monday";
        Assert.Equal(0, PgPhaseCli.Run(env, "backup", "--to", $"s3://{bucket}/nightly/", "--quiet").ExitCode);
        Cluster.Execute(db, "INSERT INTO items SELECT generate_series(101, 250)");
        env["BACKUP_NAME"] = "tuesday";
        Assert.Equal(0, PgPhaseCli.Run(env, "backup", "--to", $"s3://{bucket}/nightly/", "--quiet").ExitCode);

        // As the seed scripts did: the key is <prefix><SRC_DBNAME>/<BACKUP_NAME>.dump.
        env["BACKUP_NAME"] = "monday";
        env["DST_DBNAME"] = db + "_mon";
        var monday = PgPhaseCli.Run(env, "restore", $"s3://{bucket}/nightly/", "--create", "--skip-checks");
        Assert.True(monday.ExitCode == 0, monday.StdErr);
        Assert.Equal(100L, Cluster.Scalar<long>(db + "_mon", "SELECT count(*) FROM items"));

        // Without a name, the newest backup of that database; SHOW_PROGRESS=false keeps it quiet.
        env["BACKUP_NAME"] = null;
        env["DST_DBNAME"] = db + "_new";
        env["SHOW_PROGRESS"] = "false";
        var newest = PgPhaseCli.Run(env, "restore", $"s3://{bucket}/nightly/", "--create");
        Assert.True(newest.ExitCode == 0, newest.StdErr);
        Assert.DoesNotContain("phase 3 Data:", newest.StdErr);
        Assert.Equal(250L, Cluster.Scalar<long>(db + "_new", "SELECT count(*) FROM items"));
    }
}
