using PgPhaseRestore.Demo;

namespace PgPhaseRestore.TestRigs;

/// <summary>Finds initdb and pg_ctl as the engine does: PGPHASE_PG_BINDIR, then `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin.</summary>
public static class PgServerBinaries
{
    public static string Locate()
    {
        try
        {
            return ServerBinaries.LocateAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (DemoException ex)
        {
            throw new InvalidOperationException($"{ex.Message}, or set PGPHASE_TEST_CONNECTION to a server's superuser connection string", ex);
        }
    }
}
