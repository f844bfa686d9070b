using System.Text;
using PgPhaseRestore.Engine.Processes;

namespace PgPhaseRestore.Demo;

/// <summary>
/// Runs a helper program (initdb, pg_ctl, runuser, chown...) to completion through <see cref="ToolProcess"/>, so it
/// gets the same scrubbed environment and life-binding as pg_dump and pg_restore, with a time limit of its own.
/// </summary>
internal static class HelperProgram
{
    /// <summary>The program's path: a file in one of the usual system folders or on PATH, or null.</summary>
    public static string? Find(string name)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        // runuser lives in /usr/sbin, which a non-login PATH may lack.
        return path.Concat(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"])
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }

    public static string Require(string name) =>
        Find(name) ?? throw new DemoException($"{name} was not found on PATH or in /usr/sbin, /usr/bin, /sbin, /bin");

    /// <summary>Runs the program; its exit code and output (stdout and stderr together, for messages).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        var stdout = new StringBuilder();
        try
        {
            var result = await ToolProcess.RunAsync(new PgTool(Path.GetFileName(program), program, 0, ""), arguments, null, null, limit.Token,
                readStdout: async (stream, token) =>
                {
                    using var reader = new StreamReader(stream);
                    stdout.Append(await reader.ReadToEndAsync(token).ConfigureAwait(false));
                }).ConfigureAwait(false);
            return (result.ExitCode, string.Join('\n', result.ErrorLines.Append(stdout.ToString().Trim()).Where(l => l.Length > 0)));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new DemoException($"{Describe(program, arguments)} did not finish within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Runs the program and fails, naming it and what it said, unless it exits with 0.</summary>
    public static async Task<string> RunCheckedAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        var (code, output) = await RunAsync(program, arguments, timeout, ct).ConfigureAwait(false);
        if (code != 0)
            throw new DemoException($"{Describe(program, arguments)} exited with {code}: {output}");
        return output;
    }

    private static string Describe(string program, IReadOnlyList<string> arguments) => $"{Path.GetFileName(program)} {string.Join(' ', arguments)}";
}
