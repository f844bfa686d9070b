using Npgsql;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Tests.Cli;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// `pgphase restore` killed the ways an operator's machine kills it (SIGKILL of the tool alone or of its process
/// group, its lock's backend terminated, a pooler in the way, the target dropped and made again), then run again:
/// each ends with a target identical to the source, or with a clear refusal; never with a silent success.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class CrashSafetyTests : IClassFixture<RestoreFixture>, IDisposable
{
    private readonly RestoreFixture _f;
    private readonly TempDir _dir = new("pgphase-crash-");

    public CrashSafetyTests(RestoreFixture fixture) => _f = fixture;

    private string JournalDir => _dir.File("journals");

    private Dictionary<string, string?> Environment(string target, string? host = null, int? port = null) => new()
    {
        ["DST_PGHOST"] = host ?? _f.Cluster.Host, ["DST_PGPORT"] = (port ?? _f.Cluster.Port).ToString(), ["DST_PGUSER"] = _f.Restorer,
        ["DST_PGPASSWORD"] = _f.RestorerPassword, ["DST_DBNAME"] = target,
        ["PGPASSWORD"] = null, ["PGHOST"] = null, ["PGUSER"] = null, ["PGDATABASE"] = null,
        // Journals stay in this test's folder, never in the user's home.
        ["PGPHASE_JOURNAL_DIR"] = JournalDir,
    };

    private static readonly string[] Common = ["--no-owner", "--no-privileges"];

    private ChildProcess.Result Restore(string target, params string[] args) =>
        PgPhaseCli.Run(Environment(target), ["restore", _f.DumpPath, .. Common, .. args]);

    private ChildProcess.Running StartRestore(string target, bool ownProcessGroup, params string[] args) =>
        StartRestoreOf(_f.DumpPath, target, ownProcessGroup, args);

    private ChildProcess.Running StartRestoreOf(string archive, string target, bool ownProcessGroup, params string[] args)
    {
        string[] all = ["restore", archive, .. Common, .. args];
        // setsid makes pgphase the leader of a process group of its own, so the test can kill the whole group.
        return ownProcessGroup
            ? ChildProcess.Start("setsid", ["dotnet", PgPhaseCli.Dll, .. all], Environment(target))
            : PgPhaseCli.Start(Environment(target), all);
    }

    private void AssertIdenticalToSource(string target)
    {
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, target));
        Assert.Equal(_f.Schema(_f.Source), _f.Schema(target));
    }

    private static void AssertSucceeded(ChildProcess.Result r)
    {
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}\n{r.StdErr}\n{r.StdOut}");
        Assert.DoesNotContain(": Failed", r.StdOut);
    }

    // Tests of this class run one at a time: every pg_restore reading the fixture's archive belongs to the test.
    private List<int> PgRestoresOf(string target) =>
        ProcessTable.All().Where(p => p.Name == "pg_restore" && (p.CommandLine.Contains($"dbname={target}", StringComparison.Ordinal) ||
                                                                  p.CommandLine.Contains(_f.DumpPath, StringComparison.Ordinal)))
            .Select(p => p.Pid).ToList();

    private static void AssertGoneSoon(IEnumerable<int> pids, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (pids.Any(ProcessTable.IsAlive) && DateTime.UtcNow < deadline)
            Thread.Sleep(50);
        Assert.False(pids.Any(ProcessTable.IsAlive), $"{what} still runs after pgphase was killed");
    }

    private static void WaitForBigTable(ChildProcess.Running run)
    {
        if (!run.WaitForStdErr("loading table app.events", TimeSpan.FromMinutes(3)))
            Assert.Fail($"pgphase {(run.HasExited ? $"exited with {run.Process.ExitCode}" : "still runs")} before loading app.events:\n{run.StdErrSoFar}");
    }

    private void WaitForSession(string target, string applicationPrefix, bool waitingOnLock)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            long n = _f.Cluster.Scalar<long>("postgres", $"""
                SELECT count(*) FROM pg_stat_activity WHERE datname = '{target}' AND application_name LIKE '{applicationPrefix}%'
                {(waitingOnLock ? "AND wait_event_type = 'Lock'" : "")}
                """);
            if (n > 0)
                return;
            Thread.Sleep(50);
        }
        Assert.Fail($"no session \"{applicationPrefix}\" {(waitingOnLock ? "waiting on a lock " : "")}appeared on {target}");
    }

    /// <summary>Holds ACCESS EXCLUSIVE locks on the target's tables matching a condition, until disposed.</summary>
    private NpgsqlConnection BlockTables(string target, string condition)
    {
        var conn = _f.Cluster.Open(target);
        using var cmd = new NpgsqlCommand($"""
            BEGIN;
            DO $$ DECLARE r record; BEGIN
              FOR r IN SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND ({condition})
              LOOP EXECUTE 'LOCK TABLE ' || r.t || ' IN ACCESS EXCLUSIVE MODE'; END LOOP;
            END $$;
            """, conn);
        cmd.ExecuteNonQuery();
        return conn;
    }

    [Theory]
    [InlineData(2, "n.nspname = 'app' AND c.relname = 'events'")]
    [InlineData(4, "true")]
    public void Sigkill_of_pgphase_inside_an_all_or_nothing_phase_kills_its_pg_restore_and_resume_gives_an_identical_target(int phase, string blocked)
    {
        var target = _f.NewTargetName($"kp{phase}");
        var earlier = string.Join(',', Enumerable.Range(1, phase - 1));
        AssertSucceeded(Restore(target, ["--create", .. Enumerable.Range(1, phase - 1).SelectMany(p => new[] { "--phase", p.ToString() })]));

        // The phase's pg_restore blocks on a lock this test holds, inside its single transaction, with part done.
        var blocker = BlockTables(target, blocked);
        using var run = StartRestore(target, ownProcessGroup: false, "--resume");
        WaitForSession(target, $"pgphase phase {phase}", waitingOnLock: true);
        var children = PgRestoresOf(target);
        Assert.NotEmpty(children);
        run.Process.Kill(entireProcessTree: false);
        run.Process.WaitForExit(10_000);
        AssertGoneSoon(children, $"pg_restore of phase {phase} (earlier phases {earlier})");
        blocker.Dispose();

        var resumed = Restore(target, "--resume");
        AssertSucceeded(resumed);
        AssertIdenticalToSource(target);
    }

    [Fact]
    public void A_phase_committed_but_not_journaled_is_found_complete_and_a_half_present_phase_is_refused_by_name()
    {
        var target = _f.NewTargetName("recon");
        AssertSucceeded(Restore(target, "--create"));
        var journalPath = Directory.GetFiles(JournalDir, "*.json").Single(f => RestoreJournal.Load(f).Target.EndsWith("/" + target, StringComparison.Ordinal));

        // What a kill between pg_restore's commit of phase 4 and the journal's write leaves behind.
        var journal = RestoreJournal.Load(journalPath);
        journal.CompletedPhases.Remove(4);
        File.WriteAllText(journalPath, System.Text.Json.JsonSerializer.Serialize(journal));
        var resumed = Restore(target, "--resume");
        AssertSucceeded(resumed);
        Assert.Contains("Phase 4 PostData: Skipped", resumed.StdOut);
        Assert.Contains("complete in", resumed.StdErr);
        AssertIdenticalToSource(target);

        // Half of phase 2 gone: pgphase cannot have left that, so it stops and names what is missing.
        var index = _f.Cluster.Scalar<string>(target, "SELECT indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'events_payload'")!;
        _f.Cluster.Execute(target, $"DROP INDEX {index}");
        var refused = Restore(target, "--resume");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("phase 2 Indexes is half there", refused.StdErr);
        Assert.Contains("events_payload", refused.StdErr);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(4, true)]
    [InlineData(4, false)]
    public void Sigkill_in_the_data_phase_then_resume_from_another_path_to_the_same_archive_gives_an_identical_target(int jobs, bool wholeGroup)
    {
        var target = _f.NewTargetName($"k3j{jobs}");
        // With jobs, the big table is split over the sessions: the kill lands in the middle of that split load.
        using (var run = StartRestore(target, wholeGroup, "--create", "--jobs", jobs.ToString(), "--split-table-size", "1MB"))
        {
            WaitForBigTable(run);
            Thread.Sleep(700);
            // One job: pg_restore loads app.events. Split, its block is read by pgphase and copied over pgphase's sessions.
            var children = PgRestoresOf(target);
            if (jobs == 1)
                Assert.NotEmpty(children);
            else
                WaitForSession(target, StaleSessions.Prefix + "3 ", waitingOnLock: false);
            if (wholeGroup)
                ChildProcess.RunChecked("kill", ["-KILL", "--", "-" + run.Process.Id], TimeSpan.FromSeconds(10));
            else
                run.Process.Kill(entireProcessTree: false);
            run.Process.WaitForExit(10_000);
            AssertGoneSoon(children, "pg_restore");
            Assert.True(_f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.events") < 400_000, "the kill came after the big table had loaded");
        }

        // The same archive by another path: identity is by content, not by name.
        var copy = _dir.File($"copy-{jobs}-{wholeGroup}.dump");
        File.Copy(_f.DumpPath, copy);
        var resumed = PgPhaseCli.Run(Environment(target), ["restore", copy, .. Common, "--resume", "--jobs", jobs.ToString(), "--split-table-size", "1MB", "--stop-stale-sessions"]);
        AssertSucceeded(resumed);
        AssertIdenticalToSource(target);
        foreach (var line in resumed.StdErr.Split('\n').Where(l => l.StartsWith("phase ", StringComparison.Ordinal)))
        {
            var m = System.Text.RegularExpressions.Regex.Match(line, @": (\d+)/(\d+) ");
            if (m.Success)
                Assert.True(int.Parse(m.Groups[1].Value) <= int.Parse(m.Groups[2].Value), $"progress overruns: {line}");
        }
    }

    [Fact]
    public void Sigkill_of_the_process_group_while_a_tar_archive_loads_side_by_side_then_resume_gives_an_identical_target()
    {
        var tar = _dir.File("sidebyside.tar");
        PgDump.Dump(_f.Cluster, _f.Source, tar, "-Ft");
        var target = _f.NewTargetName("k3tar");
        // Each table is copied from its member by a session of pgphase's own; the big one over 4 sessions, killed mid-way.
        using (var run = StartRestoreOf(tar, target, ownProcessGroup: true, "--create", "--jobs", "4", "--split-table-size", "1MB"))
        {
            WaitForBigTable(run);
            WaitForSession(target, StaleSessions.Prefix + "3 ", waitingOnLock: false);
            Thread.Sleep(300);
            ChildProcess.RunChecked("kill", ["-KILL", "--", "-" + run.Process.Id], TimeSpan.FromSeconds(10));
            run.Process.WaitForExit(10_000);
            Assert.True(_f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.events") < 400_000, "the kill came after the big table had loaded");
        }

        var resumed = PgPhaseCli.Run(Environment(target), ["restore", tar, .. Common, "--resume", "--jobs", "4", "--split-table-size", "1MB", "--stop-stale-sessions"]);
        AssertSucceeded(resumed);
        Assert.Contains(", up to 4 at once, each from its own data", resumed.StdErr);
        AssertIdenticalToSource(target);
    }

    [Fact]
    public void Sigkill_of_pgphase_alone_while_pg_restore_j_loads_kills_its_workers_too_and_resume_gives_an_identical_target()
    {
        var target = _f.NewTargetName("kj");
        // PreCreate with 2 jobs on a seekable custom file: pg_restore -j 2, whose workers are processes it forks.
        string[] args = ["--strategy", "PreCreate", "--jobs", "2", "--split-table-size", "1TB"];
        using (var run = StartRestore(target, ownProcessGroup: false, ["--create", .. args]))
        {
            // Killed once a worker (a pg_restore whose parent is a pg_restore) is copying app.events: pg_restore -j
            // reports items as they finish, so its output does not say when the big table starts.
            List<int> restores = [], workers = [];
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
            while (DateTime.UtcNow < deadline && !run.HasExited)
            {
                restores = PgRestoresOf(target);
                workers = ProcessTable.All().Where(p => p.Name == "pg_restore" && restores.Contains(p.ParentPid())).Select(p => p.Pid).ToList();
                if (workers.Count > 0 && _f.Cluster.Scalar<long>("postgres",
                        $"SELECT count(*) FROM pg_stat_activity WHERE datname = '{target}' AND query LIKE 'COPY app.events %' AND state = 'active'") > 0)
                    break;
                Thread.Sleep(20);
            }
            Assert.True(workers.Count > 0 && !run.HasExited, $"no pg_restore worker seen copying app.events (pg_restore processes: {restores.Count})\n{run.StdErrSoFar}");
            Assert.True(_f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.events") == 0, "the big table had loaded before the kill");
            run.Process.Kill(entireProcessTree: false);
            run.Process.WaitForExit(10_000);
            AssertGoneSoon(restores, "a pg_restore -j worker or its leader");
        }
        // An orphaned worker would have gone on with its table and committed it behind the journal's back.
        Assert.True(_f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.events") == 0, "app.events was committed after pgphase was killed");

        var resumed = Restore(target, ["--resume", .. args]);
        AssertSucceeded(resumed);
        AssertIdenticalToSource(target);
    }

    [Fact]
    public void A_resume_planned_with_another_memory_budget_is_refused_naming_the_plan_it_continues_and_the_same_budget_completes_it()
    {
        var target = _f.NewTargetName("budget");
        // With 1 MB, app.events' indexes are built early (phase 2); with 1 GB, Auto would build them after the data.
        AssertSucceeded(Restore(target, "--create", "--phase", "1", "--phase", "2", "--memory-budget", "1MB"));

        var refused = Restore(target, "--resume", "--memory-budget", "1GB");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("was in phase 2, now phase 3", refused.StdErr);
        Assert.Contains("planned as Auto with a memory budget of 1MB, this run as Auto with a memory budget of 1GB", refused.StdErr);
        Assert.Contains("(--strategy and --memory-budget as the restore started with)", refused.StdErr);
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.events"));

        var resumed = Restore(target, "--resume", "--memory-budget", "1MB");
        AssertSucceeded(resumed);
        AssertIdenticalToSource(target);

        // Before any index phase has started, a resume may still place them otherwise.
        var early = _f.NewTargetName("budget1");
        AssertSucceeded(Restore(early, "--create", "--phase", "1", "--memory-budget", "1MB"));
        AssertSucceeded(Restore(early, "--resume", "--memory-budget", "1GB"));
        AssertIdenticalToSource(early);
    }

    [Fact]
    public void Terminating_the_lock_backend_stops_the_restore_and_a_second_run_then_completes_it()
    {
        var target = _f.NewTargetName("lock");
        using (var run = StartRestore(target, ownProcessGroup: false, "--create"))
        {
            WaitForBigTable(run);
            var children = PgRestoresOf(target);
            int holder = _f.Cluster.Scalar<int>("postgres", $"""
                SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                WHERE l.locktype = 'advisory' AND l.classid = {0x70677068} AND l.objid = 1 AND l.granted AND d.datname = '{target}'
                """);
            Assert.NotEqual(0, holder);
            _f.Cluster.Execute("postgres", $"SELECT pg_terminate_backend({holder})");
            var stopped = run.Wait(TimeSpan.FromSeconds(60));
            Assert.Equal(1, stopped.ExitCode);
            Assert.Contains("restore lock", stopped.StdErr);
            AssertGoneSoon(children, "pg_restore");
        }
        var resumed = Restore(target, "--resume");
        AssertSucceeded(resumed);
        AssertIdenticalToSource(target);
    }

    [Fact]
    public void A_database_dropped_and_created_again_is_restored_again_and_its_old_journal_is_set_aside()
    {
        var target = _f.NewTargetName("again");
        AssertSucceeded(Restore(target, "--create"));
        _f.Cluster.DropDatabase(target);
        _f.Cluster.Execute("postgres", $"CREATE DATABASE \"{target}\" OWNER {_f.Restorer}");
        var again = Restore(target);
        AssertSucceeded(again);
        Assert.Contains("set aside", again.StdErr);
        AssertIdenticalToSource(target);
    }

    [Fact]
    public void Databases_whose_names_sanitise_alike_keep_separate_journals_and_each_restores()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        foreach (var target in new[] { $"c {suffix}\"x", $"c_{suffix}_x" })
        {
            var r = Restore(target, "--create");
            AssertSucceeded(r);
            Assert.Contains("Phase 3 Data: Succeeded", r.StdOut);
            AssertIdenticalToSource(target);
        }
        Assert.Equal(2, Directory.GetFiles(JournalDir, "c_" + suffix + "*.json").Length);
    }

    [Fact]
    public void Through_a_transaction_pooler_the_restore_is_refused_unless_allowed_and_leaves_no_lock()
    {
        using var bouncer = new PgBouncer(_f.Cluster, "transaction", [(_f.Restorer, _f.RestorerPassword)]);
        var target = _f.NewTargetName("pool");
        var refused = PgPhaseCli.Run(Environment(target, bouncer.Host, bouncer.Port), ["restore", _f.DumpPath, .. Common, "--create"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("pooler in transaction mode", refused.StdErr);
        Assert.Contains("server's own port", refused.StdErr);
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'app'"));
        Assert.Equal(0L, AdvisoryLocks());

        var allowed = PgPhaseCli.Run(Environment(target, bouncer.Host, bouncer.Port), ["restore", _f.DumpPath, .. Common, "--allow-pooler"]);
        AssertSucceeded(allowed);
        Assert.Contains("without the restore lock", allowed.StdErr);
        Assert.Equal(0L, AdvisoryLocks());
        AssertIdenticalToSource(target);
    }

    private long AdvisoryLocks() =>
        _f.Cluster.Scalar<long>("postgres", $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = {0x70677068}");

    public void Dispose() => _dir.Dispose();
}
