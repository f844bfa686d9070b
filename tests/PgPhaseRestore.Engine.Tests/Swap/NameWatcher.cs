using Npgsql;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Swap;

/// <summary>Samples whether a database of the name exists, every few milliseconds, until disposed.</summary>
internal sealed class NameWatcher : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _task;

    public NameWatcher(PostgresCluster cluster, string name)
    {
        _task = Task.Run(() =>
        {
            using var conn = cluster.Open();
            using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = $1", conn) { Parameters = { new() { Value = name } } };
            while (!_stop.IsCancellationRequested)
            {
                Samples++;
                if ((long)cmd.ExecuteScalar()! != 1)
                    Missing++;
                Thread.Sleep(2);
            }
        });
    }

    public int Samples { get; private set; }
    public int Missing { get; private set; }

    public void Dispose()
    {
        _stop.Cancel();
        _task.Wait();
        _stop.Dispose();
    }
}
