namespace PgPhaseRestore.Demo;

/// <summary>Finds a PostgreSQL server installation (initdb and pg_ctl): PGPHASE_PG_BINDIR, then `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin.</summary>
internal static class ServerBinaries
{
    public const string Variable = "PGPHASE_PG_BINDIR";

    public static async Task<string> LocateAsync(CancellationToken ct)
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured)
            candidates.Add(configured);
        if (HelperProgram.Find("pg_config") is { } pgConfig)
        {
            try
            {
                var (code, output) = await HelperProgram.RunAsync(pgConfig, ["--bindir"], TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
                if (code == 0)
                    candidates.Add(output.Trim());
            }
            catch (DemoException)
            {
                // A pg_config that hangs or fails says nothing; the folders below still may.
            }
        }
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: d, Ok: int.TryParse(Path.GetFileName(d), out int v), Version: v))
                .Where(x => x.Ok).OrderByDescending(x => x.Version).Select(x => Path.Combine(x.Dir, "bin")));
        }
        return candidates.FirstOrDefault(dir => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
               ?? throw new DemoException(
                   $"PostgreSQL server binaries (initdb, pg_ctl) were not found in {Variable}, `pg_config --bindir` or /usr/lib/postgresql/*/bin: " +
                   "install them (apt-get install postgresql) or set " + Variable + " to the folder that holds them");
    }
}
