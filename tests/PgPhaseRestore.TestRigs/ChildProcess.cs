using System.Diagnostics;
using System.Text;

namespace PgPhaseRestore.TestRigs;

/// <summary>Runs a helper program to completion with a time limit; its output is kept for failure messages.</summary>
public static class ChildProcess
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static Result Run(string file, IEnumerable<string> args, TimeSpan timeout,
        IDictionary<string, string?>? environment = null, string? stdinText = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdinText is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment)
                psi.Environment[k] = v;

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Append(e.Data).Append('\n'); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (stdinText is not null)
        {
            p.StandardInput.Write(stdinText);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s; stderr: {stderr}");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A started child whose output is being collected; <see cref="Wait"/> ends it.</summary>
    public sealed class Running : IDisposable
    {
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();

        internal Running(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stdout) _stdout.Append(e.Data).Append('\n'); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.Append(e.Data).Append('\n'); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }
        public bool HasExited => Process.HasExited;

        /// <summary>What the child wrote to stderr so far.</summary>
        public string StdErrSoFar
        {
            get
            {
                lock (_stderr)
                    return _stderr.ToString();
            }
        }

        /// <summary>Waits until stderr holds <paramref name="fragment"/>; false if the child exits or the time runs out first.</summary>
        public bool WaitForStdErr(string fragment, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (StdErrSoFar.Contains(fragment, StringComparison.Ordinal))
                    return true;
                if (Process.HasExited)
                    return StdErrSoFar.Contains(fragment, StringComparison.Ordinal);
                Thread.Sleep(20);
            }
            return false;
        }

        public Result Wait(TimeSpan timeout)
        {
            if (!Process.WaitForExit(timeout))
            {
                Process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{Process.StartInfo.FileName} did not finish within {timeout.TotalSeconds:0} s; stderr: {_stderr}");
            }
            Process.WaitForExit();
            lock (_stdout)
                lock (_stderr)
                    return new Result(Process.ExitCode, _stdout.ToString(), _stderr.ToString());
        }

        public void Dispose()
        {
            if (!Process.HasExited)
                Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    public static Running Start(string file, IEnumerable<string> args, IDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment)
                psi.Environment[k] = v;
        return new Running(Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}"));
    }

    public static Result RunChecked(string file, IEnumerable<string> args, TimeSpan timeout,
        IDictionary<string, string?>? environment = null, string? stdinText = null)
    {
        var argList = args.ToList();
        var r = Run(file, argList, timeout, environment, stdinText);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', argList)} exited with {r.ExitCode}: {r.StdErr}{r.StdOut}");
        return r;
    }

    /// <summary>Finds a program on PATH.</summary>
    public static string? OnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
