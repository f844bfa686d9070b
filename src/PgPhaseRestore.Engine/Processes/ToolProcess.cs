using System.Diagnostics;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Processes;

/// <summary>What a finished child process left behind.</summary>
internal sealed record ToolResult(int ExitCode, IReadOnlyList<string> ErrorLines);

/// <summary>
/// Runs pg_dump or pg_restore: arguments as a list (never a shell string), the password through a password
/// file (without one, libpq reads the user's own), an environment without the host's secrets, stderr streamed line by line to the caller, stdin/stdout
/// optionally streamed, the whole process tree killed when the token is cancelled, and the child bound to this
/// process's life.
/// </summary>
internal static class ToolProcess
{
    /// <summary>A command line for debug output, arguments with spaces quoted. Connection strings here carry no password (that goes through a password file).</summary>
    public static string Display(string program, IEnumerable<string> arguments) =>
        program + " " + string.Join(' ', arguments.Select(a => a.Contains(' ') ? $"'{a}'" : a));

    public static async Task<ToolResult> RunAsync(
        PgTool tool,
        IReadOnlyList<string> arguments,
        PgConnectionInfo? connection,
        Action<string>? onErrorLine,
        CancellationToken cancellationToken,
        IDictionary<string, string>? environment = null,
        Func<Stream, CancellationToken, Task>? writeStdin = null,
        Func<Stream, CancellationToken, Task>? readStdout = null)
    {
        using var passFile = connection is null ? null : PasswordFile.Create(connection);
        // Every stream redirected: a child holding this process's stdout would keep a caller's pipe open after
        // this process is gone, and one reading its stdin could take input meant for the host.
        var psi = new ProcessStartInfo(tool.Path)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        // The conninfo built from the connection is swapped for the child's own (see PgConnectionInfo.ToChildConninfo).
        // A session name given in PGAPPNAME is how later runs recognise the child's sessions: it wins over the connection's.
        var conninfo = connection?.ToLibpqString();
        bool ownName = environment?.ContainsKey("PGAPPNAME") == true;
        foreach (var a in arguments)
            psi.ArgumentList.Add(a == conninfo ? connection!.ToChildConninfo(ownName) : a);
        // Only what libpq and the tool need; the password reaches libpq through the file only.
        ChildEnvironment.Apply(psi);
        if (passFile is not null)
            psi.Environment["PGPASSFILE"] = passFile.Path;
        if (environment is not null)
            foreach (var (k, v) in environment)
                psi.Environment[k] = v;
        if (connection is not null)
        {
            // The service is already spelled out in the conninfo: a child whose libpq has another default service
            // file must not look it up again.
            psi.Environment.Remove("PGSERVICE");
            if (connection.ChildOptions(environment is not null && environment.TryGetValue("PGOPTIONS", out var given) ? given : null) is { } options)
                psi.Environment["PGOPTIONS"] = options;
        }

        using var process = ChildLauncher.Start(psi, withWorkers: true);
        var errors = new List<string>();
        using var kill = cancellationToken.Register(() => KillTree(process));

        var stderrTask = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } raw)
            {
                // A connection failure is said the way Npgsql's are: where, what, and what to do.
                var line = connection is null ? raw : await ConnectionFailure.RewriteToolLineAsync(connection, raw, cancellationToken).ConfigureAwait(false);
                lock (errors)
                    errors.Add(line);
                onErrorLine?.Invoke(line);
            }
        }, CancellationToken.None);

        Task stdinTask = Task.CompletedTask, stdoutTask = Task.CompletedTask;
        if (writeStdin is not null)
        {
            stdinTask = Task.Run(async () =>
            {
                var stdin = process.StandardInput.BaseStream;
                try
                {
                    await writeStdin(stdin, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException) when (process.HasExited || process.WaitForExit(30_000))
                {
                    // The tool stopped reading (it finished, failed or was killed); its exit code tells why.
                }
                finally
                {
                    // Closing a pipe the tool no longer reads fails; that must not replace the writer's own failure.
                    try
                    {
                        await stdin.DisposeAsync().ConfigureAwait(false);
                    }
                    catch (IOException)
                    {
                    }
                }
            }, CancellationToken.None);
        }
        if (writeStdin is null)
            process.StandardInput.Close();
        stdoutTask = readStdout is not null
            ? Task.Run(() => readStdout(process.StandardOutput.BaseStream, cancellationToken), CancellationToken.None)
            : Task.Run(async () =>
            {
                // Nothing is expected on stdout; whatever comes goes where stderr goes, line by line.
                while (await process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
                    onErrorLine?.Invoke(line);
            }, CancellationToken.None);

        try
        {
            await Task.WhenAll(stdinTask, stdoutTask).ConfigureAwait(false);
        }
        catch
        {
            KillTree(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            // The tool's last words (why its output stopped, say) reach the caller's line handler before the failure does.
            try
            {
                await stderrTask.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            throw;
        }
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        await stderrTask.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return new ToolResult(process.ExitCode, errors);
    }

    private static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }
}
