using System.Diagnostics;
using System.Text.RegularExpressions;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Tests.Restore;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>`pgphase plan`, `restore` and `verify` as separate processes, configured the way the earlier scripts were.</summary>
[Collection(ServicesCollection.Name)]
public sealed class RestoreCommandTests : IClassFixture<RestoreFixture>, IDisposable
{
    private readonly RestoreFixture _f;
    private readonly TempDir _dir = new();

    public RestoreCommandTests(RestoreFixture fixture) => _f = fixture;

    private Dictionary<string, string?> Environment(string target) => new()
    {
        ["DST_PGHOST"] = _f.Cluster.Host, ["DST_PGPORT"] = _f.Cluster.Port.ToString(), ["DST_PGUSER"] = _f.Restorer,
        ["DST_PGPASSWORD"] = _f.RestorerPassword, ["DST_DBNAME"] = target,
        ["SRC_PGHOST"] = _f.Cluster.Host, ["SRC_PGPORT"] = _f.Cluster.Port.ToString(), ["SRC_PGUSER"] = _f.Cluster.User,
        ["SRC_PGPASSWORD"] = _f.Cluster.Password, ["SRC_DBNAME"] = _f.Source,
        ["PGPASSWORD"] = null, ["PGHOST"] = null, ["PGUSER"] = null,
    };

    /// <summary>
    /// A resume with another journal (another worker, another folder) after a restore that finished: the data phase
    /// is not in that journal, but phase 4's objects are in the target, so no table is emptied and loaded again
    /// (which foreign keys refused half way, and triggers would have rewritten).
    /// </summary>
    [Fact]
    public void A_resume_without_the_journal_of_a_finished_restore_changes_nothing()
    {
        var target = $"nojournal_{Guid.NewGuid():N}"[..20];
        var first = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--create", "--no-owner", "--no-privileges", "--journal", _dir.File("first.json"), "--quiet");
        Assert.True(first.ExitCode == 0, first.StdErr + first.StdOut);
        var before = DatabaseContents.Fingerprint(_f.Cluster, target);

        var again = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--no-owner", "--no-privileges", "--journal", _dir.File("elsewhere.json"), "--resume");
        Assert.True(again.ExitCode == 0, again.StdErr + again.StdOut);
        Assert.Contains("Phase 3 Data: Skipped", again.StdOut);
        Assert.Contains("which runs only after it, are in", again.StdErr);
        Assert.Equal(before, DatabaseContents.Fingerprint(_f.Cluster, target));
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, target));
        _f.Cluster.DropDatabase(target);
    }

    [Fact]
    public void Plan_writes_one_list_file_per_phase()
    {
        var r = PgPhaseCli.Run("plan", _f.DumpPath, "--out", _dir.Path);
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Contains("Auto plan", r.StdOut); // the default strategy
        // The numbers add up: every TOC entry is in one phase, excluded, or applied by pg_restore itself.
        int Count(string label) => int.Parse(System.Text.RegularExpressions.Regex.Match(r.StdOut, label + @"\s+(\d+) entr").Groups[1].Value);
        int total = int.Parse(System.Text.RegularExpressions.Regex.Match(r.StdOut, @"plan, (\d+) TOC entries").Groups[1].Value);
        Assert.Equal(total, Count("phase 1 Schema") + Count("phase 2 Indexes") + Count("phase 3 Data") + Count("phase 4 PostData") + Count("by pg_restore") + Count("excluded"));
        Assert.Equal(3, Count("by pg_restore"));
        Assert.DoesNotContain("0 tables", r.StdOut);
        var files = Directory.GetFiles(_dir.Path, "*.list").Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(["phase-1-schema.list", "phase-2-indexes.list", "phase-3-data.list", "phase-4-postdata.list"], files);
        var phase2 = File.ReadAllLines(_dir.File("phase-2-indexes.list")).Where(l => !l.StartsWith(';') && l.Length > 0).ToList();
        Assert.Contains(phase2, l => l.Contains(" INDEX ATTACH app orders_2023_pkey "));
        Assert.Contains(phase2, l => l.Contains(" CONSTRAINT app booking booking_no_overlap "));
        Assert.DoesNotContain(phase2, l => l.Contains(" FK CONSTRAINT "));
    }

    /// <summary>An edited list runs as edited: the data phase without one table's line loads every table but that one.</summary>
    [Fact]
    public void Restore_runs_an_edited_list_file()
    {
        Assert.True(PgPhaseCli.Run("plan", _f.DumpPath, "--out", _dir.Path).ExitCode == 0);
        var data = _dir.File("phase-3-data.list");
        var lines = File.ReadAllLines(data);
        Assert.Single(lines, l => l.Contains(" TABLE DATA app booking "));
        File.WriteAllLines(data, lines.Select(l => l.Contains(" TABLE DATA app booking ") ? ";" + l : l));

        var target = _f.NewTargetName("cli_list");
        var journal = _dir.File("list.json");
        var first = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--create", "--no-owner", "--no-privileges", "--journal", journal, "--phase", "1", "--phase", "2");
        Assert.True(first.ExitCode == 0, first.StdErr + first.StdOut);
        var listed = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--no-owner", "--no-privileges", "--journal", journal,
            "--use-list", data, "-L", _dir.File("phase-4-postdata.list"));
        Assert.True(listed.ExitCode == 0, listed.StdErr + listed.StdOut);
        Assert.Contains("Phase 3 Data: Succeeded", listed.StdOut);
        Assert.Contains("Phase 4 PostData: Succeeded", listed.StdOut);
        Assert.DoesNotContain("Phase 1", listed.StdOut);

        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.booking"));
        Assert.True(_f.Cluster.Scalar<long>(_f.Source, "SELECT count(*) FROM app.booking") > 0);
        foreach (var table in new[] { "app.customer", "app.orders", "app.legacy" })
            Assert.Equal(_f.Cluster.Scalar<long>(_f.Source, $"SELECT count(*) FROM {table}"), _f.Cluster.Scalar<long>(target, $"SELECT count(*) FROM {table}"));

        // A resume of the whole archive would find phase 3 done without the table the list left out: refused, by name.
        var resumed = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--no-owner", "--no-privileges", "--journal", journal, "--resume");
        Assert.True(resumed.ExitCode != 0, resumed.StdErr + resumed.StdOut);
        Assert.Contains("did not load 1 table this restore selects (app.booking); resuming would skip them", resumed.StdErr);
        Assert.Contains("--use-list naming them, with --force", resumed.StdErr);
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.booking"));

        // As it says: the table alone, forced, which forgets only that table; then the resume has nothing left to do.
        var booking = _dir.File("booking.list");
        File.WriteAllLines(booking, lines.Where(l => l.Contains(" TABLE DATA app booking ")));
        var alone = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--no-owner", "--no-privileges", "--journal", journal, "--use-list", booking, "--force");
        Assert.True(alone.ExitCode == 0, alone.StdErr + alone.StdOut);
        Assert.Equal(_f.Cluster.Scalar<long>(_f.Source, "SELECT count(*) FROM app.booking"), _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.booking"));
        var finished = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--no-owner", "--no-privileges", "--journal", journal, "--resume");
        Assert.True(finished.ExitCode == 0, finished.StdErr + finished.StdOut);
        Assert.Contains("Phase 3 Data: Skipped", finished.StdOut);
    }

    /// <summary>
    /// The lists of phases 1 and 2 alone make the schema without the indexes and keys Auto builds after their rows
    /// (they are in the data phase's list): each one is named in a warning, and is indeed not there.
    /// </summary>
    [Fact]
    public void Lists_without_the_data_phase_warn_of_each_late_build_they_leave_out()
    {
        var plan = PgPhaseCli.Run("plan", _f.DumpPath, "--out", _dir.Path, "--memory-budget", "1GB");
        Assert.True(plan.ExitCode == 0, plan.StdErr + plan.StdOut);
        var builds = File.ReadAllLines(_dir.File("phase-3-data.list")).Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d+; \d+ \d+ (INDEX|CONSTRAINT) ")).ToList();
        // Those of schema app are looked up by name below (another schema's name holds "; ", which the split would cut).
        var late = builds.Where(l => l.Contains(" INDEX app ", StringComparison.Ordinal) || l.Contains(" CONSTRAINT app ", StringComparison.Ordinal)).ToList();
        Assert.Contains(late, l => l.Contains(" CONSTRAINT app ", StringComparison.Ordinal));

        var target = _f.NewTargetName("cli_lists12");
        var run = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--create", "--no-owner", "--no-privileges", "--journal", _dir.File("lists12.json"),
            "--memory-budget", "1GB", "--use-list", _dir.File("phase-1-schema.list"), "-L", _dir.File("phase-2-indexes.list"));
        Assert.True(run.ExitCode == 0, run.StdErr + run.StdOut);
        var warnings = run.StdErr.Split('\n').Where(l => l.Contains("is built after its table's rows", StringComparison.Ordinal)).ToList();
        Assert.Equal(builds.Count, warnings.Count);
        foreach (var line in late)
        {
            var fields = line.Split(' ');
            // "id; a b INDEX app name owner" or "id; a b CONSTRAINT app table name owner".
            var (type, name) = (line.Contains(" CONSTRAINT app ", StringComparison.Ordinal) ? "CONSTRAINT" : "INDEX", fields[^2]);
            var table = type == "CONSTRAINT" ? fields[^3] : null;
            Assert.Contains(warnings, w => w.Contains(type == "INDEX" ? $"INDEX app.{name}" : $"CONSTRAINT app.{table} {name}", StringComparison.Ordinal));
            var found = type == "INDEX"
                ? _f.Cluster.Scalar<long>(target, $"SELECT count(*) FROM pg_class WHERE oid = to_regclass('app.{name}')")
                : _f.Cluster.Scalar<long>(target, $"SELECT count(*) FROM pg_constraint WHERE conname = '{name}' AND connamespace = 'app'::regnamespace");
            Assert.Equal(0L, found);
        }
        Assert.Equal("app.customer", _f.Cluster.Scalar<string>(target, "SELECT to_regclass('app.customer')::text"));
    }

    /// <summary>
    /// A late index the data phase's list left out is not skipped by a resume in silence: the resume stops naming it,
    /// and the index alone, forced, builds it; then the resume has nothing left to do.
    /// </summary>
    [Fact]
    public void A_resume_names_a_late_index_an_edited_list_left_out()
    {
        var plan = PgPhaseCli.Run("plan", _f.DumpPath, "--out", _dir.Path, "--memory-budget", "1GB");
        Assert.True(plan.ExitCode == 0, plan.StdErr + plan.StdOut);
        var data = _dir.File("phase-3-data.list");
        var lines = File.ReadAllLines(data);
        var index = lines.First(l => !l.StartsWith(';') && l.Contains(" INDEX app ", StringComparison.Ordinal));
        var name = index.Split(' ')[^2];
        File.WriteAllLines(data, lines.Select(l => l == index ? ";" + l : l));

        var target = _f.NewTargetName("cli_late");
        var journal = _dir.File("late.json");
        string[] common = [_f.DumpPath, "--no-owner", "--no-privileges", "--journal", journal, "--memory-budget", "1GB"];
        var first = PgPhaseCli.Run(Environment(target), ["restore", .. common, "--create", "--phase", "1", "--phase", "2"]);
        Assert.True(first.ExitCode == 0, first.StdErr + first.StdOut);
        var listed = PgPhaseCli.Run(Environment(target), ["restore", .. common, "--use-list", data, "-L", _dir.File("phase-4-postdata.list")]);
        Assert.True(listed.ExitCode == 0, listed.StdErr + listed.StdOut);
        string Built() => _f.Cluster.Scalar<string>(target, $"SELECT coalesce(to_regclass('app.{name}')::text, 'missing')")!;
        Assert.Equal("missing", Built());

        var resumed = PgPhaseCli.Run(Environment(target), ["restore", .. common, "--resume"]);
        Assert.True(resumed.ExitCode != 0, resumed.StdErr + resumed.StdOut);
        Assert.Contains($"did not build 1 index this restore selects (app.{name}); resuming would skip them", resumed.StdErr);
        Assert.Equal("missing", Built());

        var alone = _dir.File("late-index.list");
        File.WriteAllLines(alone, [index]);
        var forced = PgPhaseCli.Run(Environment(target), ["restore", .. common, "--use-list", alone, "--force"]);
        Assert.True(forced.ExitCode == 0, forced.StdErr + forced.StdOut);
        Assert.Equal($"app.{name}", Built());
        var finished = PgPhaseCli.Run(Environment(target), ["restore", .. common, "--resume"]);
        Assert.True(finished.ExitCode == 0, finished.StdErr + finished.StdOut);
        Assert.Contains("Phase 3 Data: Skipped", finished.StdOut);
        Assert.Equal(PgDump.ComparableSchema(_f.Cluster, _f.Source), PgDump.ComparableSchema(_f.Cluster, target));
    }

    [Fact]
    public void Restore_then_verify_with_the_scripts_variables()
    {
        var target = _f.NewTargetName("cli");
        var journal = _dir.File("cli.json");
        var r = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--create", "--no-owner", "--no-privileges", "--journal", journal, "--set", "synchronous_commit=off");
        Assert.True(r.ExitCode == 0, r.StdErr + r.StdOut);
        Assert.Contains("Phase 4 PostData: Succeeded", r.StdOut);
        Assert.Contains("phase 3 Data:", r.StdErr);
        // Auto, the default, sizes the plain archive's indexes from its data, and says so before and after the pass.
        Assert.Matches($"{Regex.Escape(_f.DumpPath)}: sizing \\d+ ind\\w+ of \\d+ tables? from the archive's data: one pass over their rows", r.StdErr);
        Assert.Matches($"{Regex.Escape(_f.DumpPath)}: sized \\d+ ind\\w+ from .+ of table data in [\\d.]+ s", r.StdErr);
        Assert.DoesNotContain(_f.RestorerPassword, r.StdOut + r.StdErr);

        var v = PgPhaseCli.Run(Environment(target), "verify", _f.DumpPath, "--exact");
        Assert.True(v.ExitCode == 0, v.StdOut + v.StdErr);
        Assert.Contains("objects and 11 tables match", v.StdOut);
    }

    [Fact]
    public void Keeping_ownership_as_a_role_without_superuser_is_refused_with_the_fix_before_anything_is_created()
    {
        var target = _f.NewTargetName("owner");
        var r = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--create", "--journal", _dir.File("owner.json"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{_f.Restorer} is not a superuser and not a member of \"{_f.Cluster.User}\"", r.StdErr);
        Assert.Contains("Restore without ownership", r.StdErr);
        Assert.Equal(0L, _f.Cluster.Scalar<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'"));

        var restored = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--create", "--no-owner", "--no-privileges", "--journal", _dir.File("owner.json"));
        Assert.True(restored.ExitCode == 0, restored.StdErr);
    }

    [Fact]
    public async Task Sigterm_stops_pg_restore_and_resume_completes_the_restore()
    {
        var target = _f.NewTargetName("term");
        var journal = _dir.File("term.json");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { PgPhaseCli.Dll, "restore", _f.DumpPath, "--create", "--no-owner", "--no-privileges", "--journal", journal })
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in Environment(target))
            psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var loadingEvents = new TaskCompletionSource();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("loading table app.events", StringComparison.Ordinal) == true)
                loadingEvents.TrySetResult();
        };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        Assert.True(await Task.WhenAny(loadingEvents.Task, Task.Delay(TimeSpan.FromMinutes(3))) == loadingEvents.Task, "the restore should reach the big table");
        var children = ChildPids(p.Id);
        Assert.NotEmpty(children);

        ChildProcess.RunChecked("kill", ["-TERM", p.Id.ToString()], TimeSpan.FromSeconds(10));
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "pgphase should stop on SIGTERM");
        Assert.NotEqual(0, p.ExitCode);
        Thread.Sleep(500);
        Assert.All(children, pid => Assert.False(Directory.Exists($"/proc/{pid}") && !IsZombie(pid), $"child {pid} still runs"));

        var state = RestoreJournal.Load(journal);
        Assert.True(state.IsInterrupted(3));

        var resumed = PgPhaseCli.Run(Environment(target), "restore", _f.DumpPath, "--no-owner", "--no-privileges", "--journal", journal, "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.StdErr + resumed.StdOut);
        Assert.Equal(DatabaseContents.Fingerprint(_f.Cluster, _f.Source), DatabaseContents.Fingerprint(_f.Cluster, target));
    }

    private static List<int> ChildPids(int parent)
    {
        var result = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1]) == parent)
                    result.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        return result;
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] == 'Z';
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose() => _dir.Dispose();
}
