using Npgsql;
using PgPhaseRestore.Engine.Swap;
using PgPhaseRestore.Engine.Tests.Cli;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Swap;

/// <summary>
/// `pgphase swap` killed between its two renames, rerun, undone, refused and dry-run, as an owner with LOGIN and
/// CREATEDB only. A watcher samples pg_database throughout: the live name must never be missing.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class SwapCommandTests : IClassFixture<SwapFixture>, IDisposable
{
    private readonly SwapFixture _f;
    private readonly TempDir _dir = new("pgphase-swapcmd-");

    public SwapCommandTests(SwapFixture fixture) => _f = fixture;

    private (string Live, string Replacement) Pair()
    {
        var live = _f.CreateOwned("app", "CREATE TABLE t (x text); INSERT INTO t VALUES ('today')");
        var replacement = _f.CreateOwned("fix", "CREATE TABLE t (x text); INSERT INTO t VALUES ('last night')");
        _f.Cluster.Execute("postgres", $"ALTER DATABASE {live} SET work_mem = '9MB'; COMMENT ON DATABASE {live} IS 'live'");
        return (live, replacement);
    }

    private string Contents(string database) => _f.Cluster.Scalar<string>(database, "SELECT x FROM t")!;

    private string JournalPath(string live) => Directory.GetFiles(_f.JournalDir, $"swap-{live}-*.json").Single();

    /// <summary>Starts `pgphase swap` stopped between its two renames, and kills it there with SIGKILL.</summary>
    private void KillBetweenRenames(string live, params string[] args)
    {
        var pause = _dir.File($"pause-{live}");
        var env = _f.Environment(live);
        env["PGPHASE_TEST_PAUSE_AT"] = "between-renames";
        env["PGPHASE_TEST_PAUSE_FILE"] = pause;
        using var run = PgPhaseCli.Start(env, ["swap", .. args]);
        ReplaceCommandTests.WaitForFile(pause, run);
        run.Process.Kill(entireProcessTree: false);
        Assert.True(run.Process.WaitForExit(TimeSpan.FromSeconds(30)));
        File.Delete(pause);
    }

    [Fact]
    public void Killed_between_the_two_renames_a_rerun_completes_and_the_live_name_is_never_missing()
    {
        var (live, replacement) = Pair();
        long liveOid = _f.Oid(live), replacementOid = _f.Oid(replacement);
        using var session = _f.OpenAsApp(live, "reporting");
        var watcher = new NameWatcher(_f.Cluster, live);
        ChildProcess.Result rerun;
        using (watcher)
        {
            KillBetweenRenames(live, live, replacement, "--force");

            // The transaction holding the first rename died with the process: nothing was renamed, both stay blocked.
            var journal = SwapJournal.Load(JournalPath(live));
            Assert.NotNull(journal.Pending);
            Assert.Equal(SwapStep.Carried, journal.Pending!.Step);
            Assert.Equal(liveOid, _f.Oid(live));
            Assert.False(_f.Outside(live).AllowConnections);

            rerun = PgPhaseCli.Run(_f.Environment(live), "swap", live, replacement);
            Assert.True(rerun.ExitCode == 0, rerun.StdErr + rerun.StdOut);
        }
        Assert.True(watcher.Samples > 50, $"only {watcher.Samples} samples");
        Assert.Equal(0, watcher.Missing);

        Assert.Contains($"swap of \"{live}\" resumed from step Carried", rerun.StdErr);
        var aside = Assert.Single(_f.NamesStartingWith(live + "__before_"));
        Assert.Contains($"the previous \"{live}\" is \"{aside}\"", rerun.StdOut);
        Assert.Equal(replacementOid, _f.Oid(live));
        Assert.Equal(liveOid, _f.Oid(aside));
        Assert.False(_f.Exists(replacement));
        Assert.Equal("last night", Contents(live));
        Assert.Equal("today", Contents(aside));
        Assert.True(_f.Outside(live).AllowConnections);
        Assert.True(_f.Outside(aside).AllowConnections);
        Assert.Contains("work_mem=9MB", _f.Outside(live).Settings);
        Assert.Equal("live", _f.Outside(live).Comment);
        Assert.Null(SwapJournal.Load(JournalPath(live)).Pending);

        // Once more, as an operator would after losing the output: done already, nothing moves.
        var again = PgPhaseCli.Run(_f.Environment(live), "swap", live, replacement);
        Assert.True(again.ExitCode == 0, again.StdErr + again.StdOut);
        Assert.Contains("this swap finished earlier", again.StdErr);
        Assert.Equal(replacementOid, _f.Oid(live));
        Assert.Equal(liveOid, _f.Oid(aside));
    }

    [Fact]
    public void A_swap_left_with_only_its_first_rename_done_is_completed_by_a_rerun()
    {
        var (live, replacement) = Pair();
        long replacementOid = _f.Oid(replacement), liveOid = _f.Oid(live);
        KillBetweenRenames(live, live, replacement, "--force");
        // What a committed first rename without the second would leave (the one state a single transaction rules
        // out): made by hand, the journal still saying the renames had not run.
        var aside = SwapJournal.Load(JournalPath(live)).Pending!.Outgoing!.Target;
        _f.Cluster.Execute("postgres", $"ALTER DATABASE {live} RENAME TO {aside}");
        Assert.False(_f.Exists(live));

        var rerun = PgPhaseCli.Run(_f.Environment(live), "swap", live, replacement);
        Assert.True(rerun.ExitCode == 0, rerun.StdErr + rerun.StdOut);
        Assert.Equal(replacementOid, _f.Oid(live));
        Assert.Equal(liveOid, _f.Oid(aside));
        Assert.Contains($"committed: \"{replacement}\" -> \"{live}\"", rerun.StdErr);
        Assert.True(_f.Outside(live).AllowConnections);
        Assert.True(_f.Outside(aside).AllowConnections);
    }

    [Fact]
    public void Undo_after_a_kill_between_the_renames_rolls_the_swap_back()
    {
        var (live, replacement) = Pair();
        long liveOid = _f.Oid(live), replacementOid = _f.Oid(replacement);
        KillBetweenRenames(live, live, replacement, "--force");

        var undo = PgPhaseCli.Run(_f.Environment(live), "swap", "--undo", live);
        Assert.True(undo.ExitCode == 0, undo.StdErr + undo.StdOut);
        Assert.Contains("rolled back", undo.StdOut);
        Assert.Equal(liveOid, _f.Oid(live));
        Assert.Equal(replacementOid, _f.Oid(replacement));
        Assert.Empty(_f.NamesStartingWith(live + "__before_"));
        Assert.True(_f.Outside(live).AllowConnections);
        Assert.True(_f.Outside(replacement).AllowConnections);
        Assert.Equal("today", Contents(live));
        Assert.Null(SwapJournal.Load(JournalPath(live)).Pending);
    }

    [Fact]
    public void Dry_run_shows_the_renames_and_the_sessions_and_changes_nothing_and_sessions_the_role_may_not_end_refuse_the_swap()
    {
        var (live, replacement) = Pair();
        long liveOid = _f.Oid(live);
        using var app = _f.OpenAsApp(live, "billing");
        using var admin = _f.Cluster.Open(live);
        int appPid = SwapFixture.BackendPid(app), adminPid = SwapFixture.BackendPid(admin);

        var dry = PgPhaseCli.Run(_f.Environment(live), "swap", live, replacement, "--force", "--dry-run");
        Assert.True(dry.ExitCode == 0, dry.StdErr + dry.StdOut);
        Assert.Matches($"rename \"{live}\" -> \"{live}__before_\\d{{14}}\", then \"{replacement}\" -> \"{live}\" in one transaction", dry.StdOut);
        Assert.Contains($"end session pid {appPid} on \"{live}\" (user {_f.AppUser}, application \"billing\"", dry.StdOut);
        Assert.Contains($"refuse: may not end pid {adminPid} on \"{live}\" (user {_f.Cluster.User}", dry.StdOut);
        Assert.Contains($"carry to \"{replacement}\": setting work_mem=9MB", dry.StdOut);
        Assert.Equal(1, new NpgsqlCommand("SELECT 1", app).ExecuteScalar());

        var refused = PgPhaseCli.Run(_f.Environment(live), "swap", live, replacement, "--force");
        Assert.True(refused.ExitCode == 1, refused.StdErr + refused.StdOut);
        Assert.Contains($"may not end", refused.StdErr);
        Assert.Contains($"pid {adminPid} on \"{live}\"", refused.StdErr);
        Assert.Equal(liveOid, _f.Oid(live));
        Assert.True(_f.Exists(replacement));
        Assert.True(_f.Outside(live).AllowConnections);
        Assert.Equal(1, new NpgsqlCommand("SELECT 1", app).ExecuteScalar());
        Assert.Null(SwapJournal.Load(JournalPath(live)).Pending);
    }

    /// <summary>
    /// A live name that does not exist (a typo) is refused: the replacement keeps its name, nothing is journaled,
    /// and the error says what a swap needs.
    /// </summary>
    [Fact]
    public void A_swap_with_a_live_name_that_does_not_exist_is_refused_and_renames_nothing()
    {
        var (live, replacement) = Pair();
        long replacementOid = _f.Oid(replacement);
        var typo = live + "_typo";
        var refused = PgPhaseCli.Run(_f.Environment(typo), "swap", typo, replacement, "--force");
        Assert.True(refused.ExitCode == 1, refused.StdErr + refused.StdOut);
        Assert.Contains($"no database is named \"{typo}\": a swap gives \"{replacement}\" the name of a database that exists", refused.StdErr);
        Assert.Equal(replacementOid, _f.Oid(replacement));
        Assert.False(_f.Exists(typo));
        Assert.DoesNotContain(Directory.GetFiles(_f.JournalDir, $"swap-{typo}-*.json"), f => SwapJournal.Load(f).Last is not null || SwapJournal.Load(f).Pending is not null);
        Assert.Equal("last night", Contents(replacement));
    }

    public void Dispose() => _dir.Dispose();
}
