using System.Text.RegularExpressions;
using Npgsql;
using PgPhaseRestore.Engine.Tests.Cli;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Swap;

/// <summary>
/// `pgphase restore --replace` and `pgphase swap --undo` as separate processes, as an owner with LOGIN and
/// CREATEDB only: a targeted rollback of one database among others on the same server.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class ReplaceCommandTests : IClassFixture<SwapFixture>, IDisposable
{
    private static readonly string[] Common = ["--no-owner", "--no-privileges"];
    private readonly SwapFixture _f;
    private readonly TempDir _dir = new("pgphase-replace-");

    public ReplaceCommandTests(SwapFixture fixture) => _f = fixture;

    private ChildProcess.Result Replace(string live, params string[] args) =>
        PgPhaseCli.Run(_f.Environment(live), ["restore", _f.DumpPath, "--replace", .. Common, .. args]);

    private static string Aside(string live, string output)
    {
        var m = Regex.Match(output, $"the previous \"{live}\" is \"({Regex.Escape(live)}__before_\\d{{14}}(?:_\\d+)?)\"");
        Assert.True(m.Success, $"no previous database named in:\n{output}");
        return m.Groups[1].Value;
    }

    [Fact]
    public void Replace_is_refused_while_a_session_is_connected_then_forced_it_puts_the_backup_in_place_carrying_settings_and_undo_brings_the_previous_contents_back()
    {
        var live = _f.CreateLive();
        var before = DatabaseContents.Fingerprint(_f.Cluster, live);
        var liveOid = _f.Oid(live);
        var outsideBefore = _f.Outside(live);
        using var session = _f.OpenAsApp(live, "checkout-service");
        int pid = SwapFixture.BackendPid(session);

        var refused = Replace(live);
        Assert.True(refused.ExitCode == 1, refused.StdErr + refused.StdOut);
        Assert.Contains($"pid {pid} on \"{live}\" (user {_f.AppUser}, application \"checkout-service\"", refused.StdErr);
        Assert.Contains("nothing was restored", refused.StdErr);
        Assert.Empty(_f.NamesStartingWith(live + "__"));
        Assert.Equal(liveOid, _f.Oid(live));

        var forced = Replace(live, "--force");
        Assert.True(forced.ExitCode == 0, forced.StdErr + forced.StdOut);
        var aside = Aside(live, forced.StdOut);
        Assert.Contains($"ended session pid {pid} on \"{live}\"", forced.StdErr);
        Assert.Contains("objects and 10 tables match", forced.StdOut);

        // The live name holds the backup; the previous database, unchanged, holds today's contents.
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, live));
        Assert.Equal(before, DatabaseContents.Fingerprint(_f.Cluster, aside));
        Assert.Equal(liveOid, _f.Oid(aside));
        Assert.NotEqual(liveOid, _f.Oid(live));

        // Clients see the same database from outside: settings, comment, grants, connection settings.
        var now = _f.Outside(live);
        Assert.Equal(outsideBefore, now);
        Assert.Contains("work_mem=7MB", now.Settings);
        Assert.Contains("search_path=", now.Settings);
        Assert.Equal("orders, EU region", now.Comment);
        Assert.Contains($"{_f.AppUser} CONNECT", now.Grants);
        Assert.DoesNotContain("PUBLIC", now.Grants);
        Assert.True(now.AllowConnections);
        Assert.Equal(40, now.ConnectionLimit);
        Assert.Equal(outsideBefore, _f.Outside(aside));

        // The application's session was ended, and it may connect again (as itself, through the carried grant).
        Assert.ThrowsAny<NpgsqlException>(() => new NpgsqlCommand("SELECT 1", session).ExecuteScalar());
        using (var again = _f.OpenAsApp(live, "checkout-service"))
            Assert.Equal(1, new NpgsqlCommand("SELECT 1", again).ExecuteScalar());

        Assert.DoesNotContain(_f.OwnerPassword, refused.StdOut + refused.StdErr + forced.StdOut + forced.StdErr);
        Assert.NotEmpty(Directory.GetFiles(_f.JournalDir, "swap-*.json"));

        var undo = PgPhaseCli.Run(_f.Environment(live), "swap", "--undo", live);
        Assert.True(undo.ExitCode == 0, undo.StdErr + undo.StdOut);
        Assert.Equal(before, DatabaseContents.Fingerprint(_f.Cluster, live));
        Assert.Equal(liveOid, _f.Oid(live));
        Assert.False(_f.Exists(aside));
        // The restored database is back under the name it was restored as.
        var side = Assert.Single(_f.NamesStartingWith(live + "__pgphase_"));
        Assert.Contains($"the previous \"{live}\" is \"{side}\"", undo.StdOut);
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, side));
        Assert.Equal(outsideBefore, _f.Outside(live));
    }

    [Fact]
    public void A_side_database_that_fails_verification_leaves_the_live_database_untouched_and_is_kept_and_named()
    {
        var live = _f.CreateLive();
        var before = DatabaseContents.Fingerprint(_f.Cluster, live);
        var liveOid = _f.Oid(live);
        var pause = _dir.File($"pause-{live}");
        var env = _f.Environment(live);
        env["PGPHASE_TEST_PAUSE_AT"] = "before-verify";
        env["PGPHASE_TEST_PAUSE_FILE"] = pause;
        using var run = PgPhaseCli.Start(env, ["restore", _f.DumpPath, "--replace", "--force", .. Common]);
        WaitForFile(pause, run);

        // Damage the restored side database between the restore and its verification.
        var side = Assert.Single(_f.NamesStartingWith(live + "__pgphase_"));
        _f.Cluster.Execute(side, "DELETE FROM app.booking WHERE id <= 5; DROP INDEX app.customer_name_trgm");
        File.Delete(pause);
        var r = run.Wait(TimeSpan.FromMinutes(5));

        Assert.True(r.ExitCode == 1, r.StdErr + r.StdOut);
        Assert.Contains($"verification of \"{side}\" against {_f.DumpPath} failed with 2 differences", r.StdErr);
        Assert.Contains($"\"{live}\" was not touched; the restored database is kept as \"{side}\"", r.StdErr);
        Assert.Contains("RowCount TABLE app.booking: expected 200 rows (archive), found 195 rows", r.StdOut);
        Assert.Contains("Missing INDEX app.customer_name_trgm", r.StdOut);
        Assert.Equal(liveOid, _f.Oid(live));
        Assert.Equal(before, DatabaseContents.Fingerprint(_f.Cluster, live));
        Assert.Empty(_f.NamesStartingWith(live + "__before_"));
        Assert.True(_f.Exists(side));
        Assert.True(_f.Outside(live).AllowConnections);

        // A rerun does not swap the damaged database in: it restores a new side database.
        var rerun = PgPhaseCli.Run(_f.Environment(live), ["restore", _f.DumpPath, "--replace", "--force", .. Common]);
        Assert.True(rerun.ExitCode == 0, rerun.StdErr + rerun.StdOut);
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, live));
        Assert.NotEqual(_f.Oid(side), _f.Oid(live));
        Assert.Equal(before, DatabaseContents.Fingerprint(_f.Cluster, Aside(live, rerun.StdOut)));
    }

    [Fact]
    public void A_swap_refused_after_the_restore_keeps_the_verified_side_database_and_a_rerun_swaps_that_one_in()
    {
        var live = _f.CreateLive();
        var before = DatabaseContents.Fingerprint(_f.Cluster, live);
        var pause = _dir.File($"pause-{live}");
        var env = _f.Environment(live);
        env["PGPHASE_TEST_PAUSE_AT"] = "before-verify";
        env["PGPHASE_TEST_PAUSE_FILE"] = pause;
        ChildProcess.Result refused;
        using (var run = PgPhaseCli.Start(env, ["restore", _f.DumpPath, "--replace", "--force", .. Common]))
        {
            WaitForFile(pause, run);
            // A session the owner may not end arrives while the restore runs.
            using var admin = _f.Cluster.Open(live);
            File.Delete(pause);
            refused = run.Wait(TimeSpan.FromMinutes(5));
        }
        var side = Assert.Single(_f.NamesStartingWith(live + "__pgphase_"));
        Assert.True(refused.ExitCode == 1, refused.StdErr + refused.StdOut);
        Assert.Contains("may not end", refused.StdErr);
        Assert.Contains($"The restored and verified database is kept as \"{side}\"", refused.StdErr);
        Assert.Equal(before, DatabaseContents.Fingerprint(_f.Cluster, live));
        Assert.True(_f.Outside(live).AllowConnections);
        long sideOid = _f.Oid(side);

        var rerun = Replace(live, "--force");
        Assert.True(rerun.ExitCode == 0, rerun.StdErr + rerun.StdOut);
        Assert.Contains($"continuing the restore of {_f.DumpPath} into \"{side}\"", rerun.StdErr);
        Assert.Equal(sideOid, _f.Oid(live));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, live));
        Assert.Equal(before, DatabaseContents.Fingerprint(_f.Cluster, Aside(live, rerun.StdOut)));
    }

    [Fact]
    public void A_replace_killed_between_its_renames_is_finished_by_a_rerun_without_restoring_again()
    {
        var live = _f.CreateLive();
        var before = DatabaseContents.Fingerprint(_f.Cluster, live);
        var pause = _dir.File($"pause-{live}");
        var env = _f.Environment(live);
        env["PGPHASE_TEST_PAUSE_AT"] = "between-renames";
        env["PGPHASE_TEST_PAUSE_FILE"] = pause;
        var watcher = new NameWatcher(_f.Cluster, live);
        ChildProcess.Result rerun;
        using (watcher)
        {
            using (var run = PgPhaseCli.Start(env, ["restore", _f.DumpPath, "--replace", "--force", .. Common]))
            {
                WaitForFile(pause, run);
                run.Process.Kill(entireProcessTree: false);
                Assert.True(run.Process.WaitForExit(TimeSpan.FromSeconds(30)));
            }
            File.Delete(pause);
            rerun = Replace(live);
        }
        Assert.True(rerun.ExitCode == 0, rerun.StdErr + rerun.StdOut);
        Assert.Equal(0, watcher.Missing);
        Assert.Contains($"the interrupted replace of \"{live}\" from {_f.DumpPath} was finished", rerun.StdOut);
        Assert.DoesNotContain("phase 1 Schema", rerun.StdErr);
        Assert.Empty(_f.NamesStartingWith(live + "__pgphase_"));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, live));
        Assert.Equal(before, DatabaseContents.Fingerprint(_f.Cluster, Aside(live, rerun.StdOut)));
        Assert.True(_f.Outside(live).AllowConnections);
    }

    /// <summary>A live name too long for the names a replace makes beside it is refused before anything is restored, and replaced with both named.</summary>
    [Fact]
    public void A_live_name_too_long_for_the_names_made_beside_it_is_refused_before_the_restore_and_replaced_with_both_named()
    {
        var live = "long_" + Guid.NewGuid().ToString("N")[..8] + new string('l', 32);
        _f.Cluster.Execute("postgres", $"CREATE DATABASE {live} OWNER {_f.Owner}");
        _f.Cluster.Execute(live, $"CREATE TABLE marker (what text); INSERT INTO marker VALUES ('old'); ALTER TABLE marker OWNER TO {_f.Owner}");
        var side = live[..20] + "_side";
        var aside = live[..20] + "_aside";

        var refused = Replace(live, "--side-database", side);
        Assert.True(refused.ExitCode != 0, refused.StdErr + refused.StdOut);
        Assert.Contains($"the aside name \"{live}__before_", refused.StdErr);
        Assert.Contains("--aside", refused.StdErr);
        Assert.Empty(_f.NamesStartingWith(live[..20] + "_"));

        // An aside name taken already is refused as the replace starts too, not at the swap after the restore.
        _f.Cluster.Execute("postgres", $"CREATE DATABASE {aside}");
        var taken = Replace(live, "--side-database", side, "--aside", aside);
        Assert.True(taken.ExitCode != 0, taken.StdErr + taken.StdOut);
        Assert.Contains($"a database named \"{aside}\" already exists", taken.StdErr);
        Assert.Empty(_f.NamesStartingWith(side));
        _f.Cluster.Execute("postgres", $"DROP DATABASE {aside}");

        var done = Replace(live, "--side-database", side, "--aside", aside);
        Assert.True(done.ExitCode == 0, done.StdErr + done.StdOut);
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, live));
        Assert.Equal("old", _f.Cluster.Scalar<string>(aside, "SELECT what FROM marker"));
    }

    [Fact]
    public void The_readme_rollback_example_runs()
    {
        var live = _f.CreateLive();
        var before = DatabaseContents.Fingerprint(_f.Cluster, live);
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "README.md"));
        var block = Regex.Match(readme, "### Targeted rollback.*?```bash\\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "README has no targeted rollback example");
        var commands = block.Groups[1].Value.Split('\n').Select(l => Regex.Replace(l, "#.*$", "").Trim())
            .Where(l => l.StartsWith("pgphase ", StringComparison.Ordinal)).ToList();
        Assert.True(commands.Count >= 3, block.Value);
        var outputs = new List<string>();
        foreach (var command in commands)
        {
            // The example's archive and database name stand for this test's.
            var args = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(a => a == "nightly.dump" ? _f.DumpPath : a == "app" ? live : a).ToArray();
            var r = PgPhaseCli.Run(_f.Environment(live), args);
            Assert.True(r.ExitCode == 0, $"{command}\n{r.StdErr}{r.StdOut}");
            outputs.Add(r.StdOut);
        }
        // The example ends where it began: the undo brought today's database back.
        Assert.Equal(before, DatabaseContents.Fingerprint(_f.Cluster, live));
        Assert.Contains(outputs, o => o.Contains($"the previous \"{live}\" is \"{live}__before_", StringComparison.Ordinal));
    }

    internal static void WaitForFile(string path, ChildProcess.Running run)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (!File.Exists(path))
        {
            if (run.HasExited)
                Assert.Fail($"pgphase exited with {run.Process.ExitCode} before the pause point:\n{run.StdErrSoFar}");
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"pgphase did not reach the pause point:\n{run.StdErrSoFar}");
            Thread.Sleep(20);
        }
    }

    public void Dispose() => _dir.Dispose();
}
