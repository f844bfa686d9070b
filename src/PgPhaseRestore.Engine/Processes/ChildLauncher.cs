using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PgPhaseRestore.Engine.Processes;

/// <summary>
/// Starts pg_dump and pg_restore so that they die with this process, however it ends (SIGKILL included): an
/// orphaned pg_restore would otherwise go on committing a phase that the journal says is unfinished, and an
/// orphaned pg_dump would finish a file nobody will rename.
/// </summary>
/// <remarks>
/// On Linux the child runs under <c>setpriv --pdeathsig</c>. The kernel sends that signal when the
/// <em>thread</em> that forked the child ends, not the process, so every child is started from one dedicated
/// thread that lives as long as the process; a thread-pool thread could retire and kill a child mid-restore.
/// A parent-death signal is not inherited by the child's own children (pg_restore -j and pg_dump -j fork their
/// workers), so a tool that forks runs in a process group of its own under a small shell: the signal reaches the
/// shell, and the shell kills the whole group, workers included.
/// On Windows each child is put in a job object that kills its members when this process's handle closes.
/// </remarks>
internal static class ChildLauncher
{
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> Requests = new();
    private static readonly Lazy<Thread> Spawner = new(StartSpawner, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string?> Setpriv = new(FindSetpriv, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string?> GroupWrapper = new(FindGroupWrapper, LazyThreadSafetyMode.ExecutionAndPublication);

    // Stdin is handed to the tool on fd 3: a shell gives a background command /dev/null as its stdin otherwise.
    // `wait` returns as soon as the trapped signal arrives, and kill 0 reaches every process of the group.
    private const string GroupScript = "trap 'kill -s KILL 0' TERM\nexec 3<&0\n\"$@\" 0<&3 3<&- &\nwait $!\n";

    /// <summary>Whether children are bound to this process's life on this platform.</summary>
    public static bool BindsChildren => OperatingSystem.IsWindows() || (OperatingSystem.IsLinux() && Setpriv.Value is not null);

    /// <param name="psi">The child's start information; on Linux its program and arguments are wrapped.</param>
    /// <param name="withWorkers">The child may fork processes of its own, which must die with it.</param>
    public static Process Start(ProcessStartInfo psi, bool withWorkers = false)
    {
        if (OperatingSystem.IsLinux() && Setpriv.Value is { } setpriv)
        {
            // setsid execs in place (the child of a .NET process never leads a group), so the shell keeps the
            // parent-death signal; -w would make it wait and pass the exit code on if it ever had to fork.
            string[] prefix = withWorkers && GroupWrapper.Value is { } setsid
                ? [.. GroupPrefix(setsid), psi.FileName]
                : ["--pdeathsig", "KILL", "--", psi.FileName];
            for (int i = prefix.Length - 1; i >= 0; i--)
                psi.ArgumentList.Insert(0, prefix[i]);
            psi.FileName = setpriv;
        }
        _ = Spawner.Value;
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((psi, started));
        var process = started.Task.GetAwaiter().GetResult();
        if (OperatingSystem.IsWindows())
            KillOnCloseJob.Add(process);
        return process;
    }

    private static Thread StartSpawner()
    {
        var thread = new Thread(() =>
        {
            foreach (var (info, started) in Requests.GetConsumingEnumerable())
            {
                try
                {
                    var p = new Process { StartInfo = info };
                    p.Start();
                    started.SetResult(p);
                }
                catch (Exception ex)
                {
                    started.SetException(ex);
                }
            }
        })
        { IsBackground = true, Name = "pgphase child launcher" };
        thread.Start();
        return thread;
    }

    /// <summary>setpriv from util-linux, when it knows --pdeathsig (2.33 and later).</summary>
    private static string? FindSetpriv()
    {
        foreach (var candidate in new[] { "/usr/bin/setpriv", "/bin/setpriv" })
        {
            if (!File.Exists(candidate))
                continue;
            try
            {
                using var p = Process.Start(new ProcessStartInfo(candidate) { ArgumentList = { "--pdeathsig", "KILL", "--", "true" }, UseShellExecute = false, RedirectStandardError = true });
                if (p is not null && p.WaitForExit(5_000) && p.ExitCode == 0)
                    return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }
        return null;
    }

    private static string[] GroupPrefix(string setsid) => ["--pdeathsig", "TERM", "--", setsid, "-w", "--", "/bin/sh", "-c", GroupScript, "pgphase-child"];

    /// <summary>
    /// util-linux's setsid, once the whole wrapper has been seen to pass a child its stdin and exit code (another
    /// setsid, busybox's say, may not know -w); null otherwise, and children that fork are then bound as the others.
    /// </summary>
    private static string? FindGroupWrapper()
    {
        var setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);
        if (setsid is null || !File.Exists("/bin/sh") || Setpriv.Value is not { } setpriv)
            return null;
        try
        {
            var probe = new ProcessStartInfo(setpriv) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in GroupPrefix(setsid).Concat(["/bin/sh", "-c", "read line && [ \"$line\" = ok ] && exit 7"]))
                probe.ArgumentList.Add(a);
            using var p = Process.Start(probe);
            if (p is null)
                return null;
            p.StandardInput.WriteLine("ok");
            p.StandardInput.Close();
            return p.WaitForExit(5_000) && p.ExitCode == 7 ? setsid : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>One job object per process, marked kill-on-close: its handle closes when this process ends.</summary>
    private static class KillOnCloseJob
    {
        private static readonly Lazy<IntPtr> Job = new(Create);

        public static void Add(Process process)
        {
            if (Job.Value != IntPtr.Zero)
                AssignProcessToJobObject(Job.Value, process.Handle);
        }

        private static IntPtr Create()
        {
            var job = CreateJobObject(IntPtr.Zero, null);
            if (job == IntPtr.Zero)
                return job;
            var info = new JobObjectExtendedLimitInformation { BasicLimitInformation = { LimitFlags = 0x2000 /* KILL_ON_JOB_CLOSE */ } };
            int size = Marshal.SizeOf<JobObjectExtendedLimitInformation>();
            var buffer = Marshal.AllocHGlobal(size);
            try
            {
                Marshal.StructureToPtr(info, buffer, false);
                SetInformationJobObject(job, 9 /* JobObjectExtendedLimitInformation */, buffer, (uint)size);
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
            return job;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct JobObjectBasicLimitInformation
        {
            public long PerProcessUserTimeLimit;
            public long PerJobUserTimeLimit;
            public uint LimitFlags;
            public UIntPtr MinimumWorkingSetSize;
            public UIntPtr MaximumWorkingSetSize;
            public uint ActiveProcessLimit;
            public UIntPtr Affinity;
            public uint PriorityClass;
            public uint SchedulingClass;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct IoCounters
        {
            public ulong ReadOperationCount, WriteOperationCount, OtherOperationCount, ReadTransferCount, WriteTransferCount, OtherTransferCount;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct JobObjectExtendedLimitInformation
        {
            public JobObjectBasicLimitInformation BasicLimitInformation;
            public IoCounters IoInfo;
            public UIntPtr ProcessMemoryLimit;
            public UIntPtr JobMemoryLimit;
            public UIntPtr PeakProcessMemoryUsed;
            public UIntPtr PeakJobMemoryUsed;
        }

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode)]
        private static extern IntPtr CreateJobObject(IntPtr attributes, string? name);

        [DllImport("kernel32.dll")]
        private static extern bool SetInformationJobObject(IntPtr job, int infoClass, IntPtr info, uint length);

        [DllImport("kernel32.dll")]
        private static extern bool AssignProcessToJobObject(IntPtr job, IntPtr process);
    }
}
