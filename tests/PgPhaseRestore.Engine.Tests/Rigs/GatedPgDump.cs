using PgPhaseRestore.Engine.Processes;

namespace PgPhaseRestore.Engine.Tests.Rigs;

/// <summary>
/// A pg_dump (passed with --pg-dump) that waits until <see cref="Open"/> is called, then runs the real one: a test
/// decides when a run's dump starts, however fast or slow the machine is. `--version` answers at once.
/// </summary>
public sealed class GatedPgDump
{
    private readonly string _gate;

    public GatedPgDump(TempDir dir)
    {
        var id = Guid.NewGuid().ToString("N");
        _gate = dir.File($"gate-{id}");
        Path = dir.File($"gated-{id}/pg_dump");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var real = PgToolLocator.Find("pg_dump", 9, "the test").Path;
        File.WriteAllText(Path,
            $"#!/bin/sh\ncase \"$1\" in --version) exec '{real}' \"$@\";; esac\n" +
            $"while [ ! -e '{_gate}' ]; do sleep 0.05; done\nexec '{real}' \"$@\"\n");
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>The program to pass as --pg-dump.</summary>
    public string Path { get; }

    /// <summary>Lets every waiting and later dump run.</summary>
    public void Open() => File.WriteAllText(_gate, "");
}
