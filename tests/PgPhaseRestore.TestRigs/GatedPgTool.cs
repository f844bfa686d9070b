using PgPhaseRestore.Engine.Processes;

namespace PgPhaseRestore.TestRigs;

/// <summary>
/// A PostgreSQL tool (pg_dump, pg_restore) that waits at a gate, then runs the real one: a test decides when a run's
/// dump or restore starts, or holds it there to stop the run mid-way, however fast or slow the machine is. A call
/// with an argument that matches <c>runsAtOnce</c> runs the real tool at once; any other marks <see cref="Entered"/>
/// and waits until <see cref="Open"/> is called.
/// </summary>
public sealed class GatedPgTool
{
    private readonly string _gate;

    /// <param name="folder">Where the tool and its gate are written; the caller removes it.</param>
    /// <param name="tool">The tool's name: pg_dump or pg_restore.</param>
    /// <param name="runsAtOnce">
    /// A shell case pattern: a call with any argument that matches it runs the real tool at once (--version, so that
    /// the tool is found as the real one would be).
    /// </param>
    /// <param name="givesUpAfter">
    /// How long a call waits before it exits 1 without running the real tool, so that a run whose stop failed to end
    /// its children leaves no process behind for long; null, until the gate opens.
    /// </param>
    public GatedPgTool(string folder, string tool, string runsAtOnce = "--version", TimeSpan? givesUpAfter = null)
    {
        var id = Guid.NewGuid().ToString("N");
        _gate = System.IO.Path.Combine(folder, $"gate-{id}");
        var bin = System.IO.Path.Combine(folder, $"gated-{id}");
        Directory.CreateDirectory(bin);
        Path = System.IO.Path.Combine(bin, tool);
        Entered = System.IO.Path.Combine(bin, "entered");
        var real = PgToolLocator.Find(tool, 9, "the test").Path;
        var wait = givesUpAfter is { } limit
            ? $"i=0; while [ ! -e '{_gate}' ]; do [ $i -lt {(int)(limit.TotalMilliseconds / 50)} ] || exit 1; sleep 0.05; i=$((i+1)); done\n"
            : $"while [ ! -e '{_gate}' ]; do sleep 0.05; done\n";
        File.WriteAllText(Path,
            $"#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in {runsAtOnce}) exec '{real}' \"$@\";; esac; done\n" +
            $"touch '{Entered}'\n" + wait + $"exec '{real}' \"$@\"\n");
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>The program to pass as --pg-dump or --pg-restore.</summary>
    public string Path { get; }

    /// <summary>A PATH that finds this tool first, and everything else where the current PATH does.</summary>
    public string SearchPath => $"{System.IO.Path.GetDirectoryName(Path)}:{Environment.GetEnvironmentVariable("PATH")}";

    /// <summary>The file a call creates when it starts to wait at the gate.</summary>
    public string Entered { get; }

    /// <summary>Lets every waiting and later call run.</summary>
    public void Open() => File.WriteAllText(_gate, "");
}
