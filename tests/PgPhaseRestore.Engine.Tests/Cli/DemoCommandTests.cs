using System.Text.RegularExpressions;
using PgPhaseRestore.Engine.Demo;
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
        foreach (var variant in new[] { "PreCreate, 1 job", "Auto, 2 jobs", "PreCreate from s3rver" })
            Assert.Matches($@"(?m)^{Regex.Escape(variant)}\s+(\d+\.\d\d s\s+){{5}}\d+\.\d\dx$", r.StdOut);
        foreach (var database in new[] { "demo_precreate", "demo_auto", "demo_bucket" })
            Assert.Matches($@"(?m)^{database}: .* objects and 2 tables match .*/demo_source$", r.StdOut);

        AssertNothingLeft(r.StdErr, before);
    }

    [Fact]
    public void Sigint_while_restoring_exits_130_and_removes_everything()
    {
        var before = DemoFolders();
        using var run = PgPhaseCli.Start(Environment(), "demo", "--rows", "20000");
        // The bucket restore comes last: by then the cluster, s3rver and the work folder all exist.
        Assert.True(run.WaitForStdErr("(PreCreate from s3rver) into demo_bucket", TimeSpan.FromMinutes(5)), run.StdErrSoFar);
        Assert.False(run.HasExited, run.StdErrSoFar);
        ChildProcess.RunChecked("kill", ["-INT", run.Process.Id.ToString()], TimeSpan.FromSeconds(10));
        var r = run.Wait(TimeSpan.FromMinutes(2));

        Assert.True(r.ExitCode == 130, $"exit {r.ExitCode}\n{r.StdOut}{r.StdErr}");
        Assert.Contains("pgphase: cancelled", r.StdErr);
        Assert.DoesNotContain("verification passed", r.StdOut);
        AssertNothingLeft(r.StdErr, before);
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

        // Every server process (postmaster and backends) works in the data directory; s3rver is started with its folder.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<string> left;
        while ((left = ProcessesIn(clusterRoot, work.Groups[1].Value)).Count > 0 && DateTime.UtcNow < deadline)
            Thread.Sleep(200);
        Assert.True(left.Count == 0, "still running: " + string.Join("; ", left));

        Assert.False(Directory.Exists(work.Groups[1].Value), $"{work.Groups[1].Value} is left");
        Assert.False(Directory.Exists(clusterRoot), $"{clusterRoot} is left");
        Assert.Empty(DemoFolders().Except(foldersBefore));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_journals.Path));
    }

    private static IReadOnlySet<string> DemoFolders() =>
        Directory.EnumerateDirectories(Path.GetTempPath(), DemoRunner.TempPrefix + "*").ToHashSet();

    /// <summary>Processes whose working folder lies under the cluster's folder, or whose arguments name the work folder.</summary>
    private static List<string> ProcessesIn(string clusterRoot, string work)
    {
        var found = new List<string>();
        foreach (var p in ProcessTable.All())
        {
            string? cwd = null;
            try
            {
                cwd = new DirectoryInfo($"/proc/{p.Pid}/cwd").ResolveLinkTarget(returnFinalTarget: false)?.FullName;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
            if ((cwd is not null && cwd.StartsWith(clusterRoot, StringComparison.Ordinal)) || p.CommandLine.Contains(work, StringComparison.Ordinal)
                || p.CommandLine.Contains(clusterRoot, StringComparison.Ordinal))
                found.Add($"{p.Pid} {p.CommandLine}");
        }
        return found;
    }

    [GeneratedRegex(@"work folder (\S+)")]
    private static partial Regex WorkFolder();

    [GeneratedRegex(@"data directory (\S+)")]
    private static partial Regex DataDirectory();

    public void Dispose() => _journals.Dispose();
}
