namespace PgPhaseRestore.TestRigs;

/// <summary>Finds initdb and pg_ctl: PGPHASE_PG_BINDIR, then `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin.</summary>
public static class PgServerBinaries
{
    public static string Locate()
    {
        var candidates = new List<string>();
        var configured = Environment.GetEnvironmentVariable("PGPHASE_PG_BINDIR");
        if (!string.IsNullOrWhiteSpace(configured))
            candidates.Add(configured);
        var pgConfig = ChildProcess.OnPath("pg_config");
        if (pgConfig is not null)
        {
            try
            {
                var r = ChildProcess.Run(pgConfig, ["--bindir"], TimeSpan.FromSeconds(10));
                if (r.ExitCode == 0)
                    candidates.Add(r.StdOut.Trim());
            }
            catch (Exception)
            {
            }
        }
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: d, Ok: int.TryParse(Path.GetFileName(d), out int v), Version: v))
                .Where(x => x.Ok).OrderByDescending(x => x.Version).Select(x => Path.Combine(x.Dir, "bin")));
        }
        foreach (var dir in candidates)
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
                return dir;
        }
        throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found in PGPHASE_PG_BINDIR, `pg_config --bindir` or /usr/lib/postgresql/*/bin: " +
            "install them (apt-get install postgresql) or set PGPHASE_TEST_CONNECTION to a server's superuser connection string");
    }
}
