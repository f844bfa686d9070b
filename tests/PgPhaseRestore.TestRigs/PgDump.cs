using System.Diagnostics;

namespace PgPhaseRestore.TestRigs;

/// <summary>Runs the machine's pg_dump and pg_restore directly, as a reference to compare the engine against.</summary>
public static class PgDump
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    public static void Dump(PostgresCluster cluster, string database, string output, params string[] options)
    {
        ChildProcess.RunChecked(cluster.ClientTool("pg_dump"), [.. options, "-f", output, "-d", database], Limit, cluster.ClientEnvironment());
    }

    /// <summary>pg_dump -Fc to stdout, copied by a shell pipe into a file: the archive has no data offsets.</summary>
    public static void DumpThroughPipe(PostgresCluster cluster, string database, string output, params string[] options)
    {
        var command = $"\"{cluster.ClientTool("pg_dump")}\" {string.Join(' ', options)} -Fc -d \"{database}\" | cat > \"{output}\"";
        ChildProcess.RunChecked("/bin/bash", ["-o", "pipefail", "-c", command], Limit, cluster.ClientEnvironment());
    }

    /// <summary>The entry lines of a `pg_restore -l` style listing, without its header comments (pg_restore adds its time zone there).</summary>
    public static string[] EntryLines(string listing) =>
        listing.Split('\n').Where(l => l.Length > 0 && !l.StartsWith(';')).ToArray();

    public static string List(PostgresCluster cluster, string archive) =>
        ChildProcess.RunChecked(cluster.ClientTool("pg_restore"), ["-l", archive], Limit).StdOut;

    /// <summary>
    /// `pg_restore -l` exactly as it writes it, byte for byte, run with TZ set to <paramref name="timeZone"/>: the
    /// header's creation time is read and printed in that zone.
    /// </summary>
    public static byte[] ListBytes(PostgresCluster cluster, string archive, string timeZone)
    {
        var psi = new ProcessStartInfo(cluster.ClientTool("pg_restore")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-l");
        psi.ArgumentList.Add(archive);
        psi.Environment["TZ"] = timeZone;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start pg_restore");
        var stderr = p.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(stdout);
        if (!p.WaitForExit(Limit))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"pg_restore -l {archive} did not finish within {Limit.TotalSeconds:0} s");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"pg_restore -l {archive} exited with {p.ExitCode}: {stderr.Result}");
        return stdout.ToArray();
    }

    public static string SchemaOnly(PostgresCluster cluster, string database) =>
        ChildProcess.RunChecked(cluster.ClientTool("pg_dump"), ["--schema-only", "-d", database], Limit, cluster.ClientEnvironment()).StdOut;

    /// <summary>pg_dump --schema-only --no-owner --no-privileges, as a non-superuser restore can reproduce it.</summary>
    public static string ComparableSchema(PostgresCluster cluster, string database) => string.Join('\n',
        ChildProcess.RunChecked(cluster.ClientTool("pg_dump"), ["--schema-only", "--no-owner", "--no-privileges", "-d", database], Limit, cluster.ClientEnvironment()).StdOut
            .Split('\n')
            // pg_dump 15.14+ brackets its output with a random \\restrict key: different on every run.
            .Where(l => !l.StartsWith("\\restrict ", StringComparison.Ordinal) && !l.StartsWith("\\unrestrict ", StringComparison.Ordinal)));
}
