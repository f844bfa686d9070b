using System.Text.RegularExpressions;
using PgPhaseRestore.Demo;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Cli;

/// <summary>
/// `pgphase demo` as a separate process: it needs nothing but the server binaries, passes verification, and leaves
/// no cluster, no s3rver and no temp folder behind, whether it finishes or is interrupted.
/// </summary>
public sealed partial class DemoCommandTests : IDisposable
{
    private readonly TempDir _journals = new("pgphase-test-demo-journals-");
    private readonly List<string> _gates = [];

    /// <summary>Journals of these runs go to a folder of the test's own, never the home folder.</summary>
    private Dictionary<string, string?> Environment() => new() { ["PGPHASE_JOURNAL_DIR"] = _journals.Path };

    [Fact]
    public void Demo_passes_verification_prints_phase_and_plain_timings_and_removes_everything()
    {
        var before = DemoFolders();
        var r = PgPhaseCli.Run(Environment(), "demo", "--rows", "20000");
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Contains("verification passed", r.StdOut);
        Assert.Contains("sample: 20,000 orders", r.StdOut);

        Assert.Matches(@"restore\s+Schema\s+Indexes\s+Data\s+PostData\s+total", r.StdOut);
        Assert.Matches(@"(?m)^plain pg_restore\s+-\s+-\s+-\s+-\s+\d+\.\d\d s\s+1\.00x$", r.StdOut);
        foreach (var variant in new[] { "Auto (default), 2 jobs", "PreCreate, 2 jobs", "Auto from s3rver, 2 jobs" })
            Assert.Matches($@"(?m)^{Regex.Escape(variant)}\s+(\d+\.\d\d s\s+){{5}}\d+\.\d\dx$", r.StdOut);
        foreach (var database in new[] { "demo_precreate", "demo_auto", "demo_bucket" })
            Assert.Matches($@"(?m)^{database}: .* objects and 2 tables match .*/demo_source$", r.StdOut);

        AssertNothingLeft(r.StdErr, before);
    }

    /// <summary>
    /// SIGINT or SIGTERM to pgphase alone, and SIGINT to its whole process group as a terminal's Ctrl+C sends it
    /// (pg_restore gets it too; s3rver runs in a session of its own and is stopped by the demo).
    /// </summary>
    [Theory]
    [InlineData("INT", false)]
    [InlineData("TERM", false)]
    [InlineData("INT", true)]
    public void A_signal_while_restoring_exits_130_and_removes_everything(string signal, bool processGroup)
    {
        var before = DemoFolders();
        var pgRestore = GatedBucketPgRestore();
        var environment = Environment();
        environment["PATH"] = pgRestore.SearchPath;
        string[] demo = ["demo", "--rows", "20000"];
        // setsid and env exec in place. setsid: the demo leads a process group of its own, apart from the test run's.
        // env --default-signal=INT: a test run started in the background by a shell without job control has SIGINT
        // ignored, which children inherit and .NET then leaves ignored, as an interactive user's Ctrl+C never is.
        string[] command = ["env", "--default-signal=INT", "dotnet", PgPhaseCli.Dll, .. demo];
        using var run = processGroup ? ChildProcess.Start("setsid", command, environment) : ChildProcess.Start(command[0], command[1..], environment);
        // The bucket restore comes last: by then the cluster, s3rver and the work folder all exist. Its first pg_restore
        // waits at the gate, which never opens, so the signal always comes mid-restore however slow the machine is.
        WaitAtGate(run, pgRestore);
        // The gate's file appears as soon as pg_restore starts, while the line the demo wrote before starting it may
        // still be in the pipe to this test's reader: read on until it arrives (it is written by then).
        Assert.True(run.WaitForStdErr("(Auto from s3rver, 2 jobs) into demo_bucket", TimeSpan.FromSeconds(30)), run.StdErrSoFar);
        Assert.False(run.HasExited, run.StdErrSoFar);
        var pid = run.Process.Id.ToString();
        ChildProcess.RunChecked("kill", ["-" + signal, "--", processGroup ? "-" + pid : pid], TimeSpan.FromSeconds(10));
        var r = run.Wait(TimeSpan.FromMinutes(2));

        Assert.True(r.ExitCode == 130, $"exit {r.ExitCode}\n{r.StdOut}{r.StdErr}");
        Assert.Contains("pgphase: cancelled", r.StdErr);
        Assert.DoesNotContain("verification passed", r.StdOut);
        AssertNothingLeft(r.StdErr, before);
    }

    [Fact]
    public void A_demo_killed_outright_leaves_its_cluster_to_the_next_run_which_removes_it()
    {
        var before = DemoFolders();
        string killedErr;
        var pgRestore = GatedBucketPgRestore();
        var environment = Environment();
        environment["PATH"] = pgRestore.SearchPath;
        using (var killed = PgPhaseCli.Start(environment, "demo", "--rows", "20000"))
        {
            WaitAtGate(killed, pgRestore);
            Assert.False(killed.HasExited, killed.StdErrSoFar);
            ChildProcess.RunChecked("kill", ["-KILL", killed.Process.Id.ToString()], TimeSpan.FromSeconds(10));
            killed.Wait(TimeSpan.FromSeconds(30));
            killed.Process.WaitForExit();
            killedErr = killed.StdErrSoFar;
        }
        var work = WorkFolder().Match(killedErr).Groups[1].Value;
        var clusterRoot = Path.GetDirectoryName(DataDirectory().Match(killedErr).Groups[1].Value)!;
        // s3rver dies with the demo (parent-death signal); the cluster, which pg_ctl detaches, cannot.
        Thread.Sleep(500);
        Assert.Empty(ProcessesNaming(work));
        Assert.NotEmpty(ClusterProcesses(clusterRoot));

        var next = PgPhaseCli.Run(Environment(), "demo", "--rows", "1000", "--no-s3");
        Assert.True(next.ExitCode == 0, next.StdOut + next.StdErr);
        Assert.Contains($"stopped and removed {clusterRoot}", next.StdErr);
        var left = StillRunning(clusterRoot, work);
        Assert.True(left.Count == 0, "still running: " + string.Join("; ", left));
        Assert.False(Directory.Exists(work), $"{work} is left");
        Assert.Empty(DemoFolders().Except(before));
    }

    /// <summary>
    /// A pg_restore to find first on PATH that runs the real one, except for a restore fed on standard input (a
    /// bucket's, which names no archive file): that one marks <see cref="GatedPgTool.Entered"/> and then waits at a
    /// gate that never opens. It gives up after 5 minutes, so a run whose stop failed to end its children leaves no
    /// process behind for long.
    /// </summary>
    private GatedPgTool GatedBucketPgRestore()
    {
        var dir = _journals.Path + "-gate";
        var pgRestore = new GatedPgTool(dir, "pg_restore", "--version|*.dump", TimeSpan.FromMinutes(5));
        _gates.Add(dir);
        return pgRestore;
    }

    private static void WaitAtGate(ChildProcess.Running run, GatedPgTool pgRestore)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(pgRestore.Entered) && !run.HasExited && clock.Elapsed < TimeSpan.FromMinutes(5))
            Thread.Sleep(50);
        Assert.True(File.Exists(pgRestore.Entered), run.StdErrSoFar);
    }

    /// <summary>The work folder, the cluster's folder, the processes that ran in them and the journal folder are all gone or empty.</summary>
    private void AssertNothingLeft(string stderr, IReadOnlySet<string> foldersBefore)
    {
        var work = WorkFolder().Match(stderr);
        var data = DataDirectory().Match(stderr);
        Assert.True(work.Success && data.Success, stderr);
        var clusterRoot = Path.GetDirectoryName(data.Groups[1].Value)!;
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), DemoRunner.TempPrefix), work.Groups[1].Value);
        Assert.StartsWith(Path.Combine(Path.GetTempPath(), DemoRunner.TempPrefix), clusterRoot);

        var left = StillRunning(clusterRoot, work.Groups[1].Value);
        Assert.True(left.Count == 0, "still running: " + string.Join("; ", left));

        Assert.False(Directory.Exists(work.Groups[1].Value), $"{work.Groups[1].Value} is left");
        Assert.False(Directory.Exists(clusterRoot), $"{clusterRoot} is left");
        Assert.Empty(DemoFolders().Except(foldersBefore));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_journals.Path));
    }

    private static IReadOnlySet<string> DemoFolders() =>
        Directory.EnumerateDirectories(Path.GetTempPath(), DemoRunner.TempPrefix + "*").ToHashSet();

    /// <summary>Server processes of a cluster: each works in its data directory, and the postmaster is started with it.</summary>
    private static List<string> ClusterProcesses(string clusterRoot) =>
        ProcessTable.All().Where(p => WorkingFolder(p.Pid)?.StartsWith(clusterRoot, StringComparison.Ordinal) == true
                                      || p.CommandLine.Contains(clusterRoot, StringComparison.Ordinal))
            .Select(p => $"{p.Pid} {p.CommandLine}").ToList();

    /// <summary>Processes whose arguments name the folder (s3rver is started with its data folder inside the work folder).</summary>
    private static List<string> ProcessesNaming(string folder) =>
        ProcessTable.All().Where(p => p.CommandLine.Contains(folder, StringComparison.Ordinal)).Select(p => $"{p.Pid} {p.CommandLine}").ToList();

    private static string? WorkingFolder(int pid)
    {
        try
        {
            return new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(returnFinalTarget: false)?.FullName;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Waits up to 10 s for the processes to end (backends exit just after the postmaster); what still runs then.</summary>
    private static List<string> StillRunning(string clusterRoot, string work)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<string> left;
        while ((left = [.. ClusterProcesses(clusterRoot), .. ProcessesNaming(work)]).Count > 0 && DateTime.UtcNow < deadline)
            Thread.Sleep(200);
        return left;
    }

    [GeneratedRegex(@"work folder (\S+)")]
    private static partial Regex WorkFolder();

    [GeneratedRegex(@"data directory (\S+)")]
    private static partial Regex DataDirectory();

    public void Dispose()
    {
        _journals.Dispose();
        foreach (var gate in _gates)
            Directory.Delete(gate, recursive: true);
    }
}
