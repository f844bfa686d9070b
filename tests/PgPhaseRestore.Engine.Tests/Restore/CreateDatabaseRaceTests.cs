using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// Two restores that create the same new database at once: the CREATE DATABASE that loses (42P04, or 23505 on
/// pg_database's name index while both insert) finds the database there, and the restore lock decides which run
/// restores into it. The other is refused as a restore's own failure, never as the server's raw error.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class CreateDatabaseRaceTests : IDisposable
{
    private readonly PostgresCluster _cluster;
    private readonly TempDir _dir = new();
    private readonly string _source;
    private readonly string _dump;

    public CreateDatabaseRaceTests(Services services)
    {
        _cluster = services.Postgres;
        _source = _cluster.CreateDatabase("race");
        _cluster.Execute(_source, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g");
        _dump = _dir.File("race.dump");
        PgDump.Dump(_cluster, _source, _dump, "-Fc");
    }

    public void Dispose()
    {
        _cluster.DropDatabase(_source);
        _dir.Dispose();
    }

    private async Task<Exception?> RestoreAsync(string target, Barrier start)
    {
        var plan = await ArchivePlanning.PlanAsync(new ArchiveLocation(_dump), new PlanOptions { Strategy = RestoreStrategy.PreCreate }, CancellationToken.None);
        // Both runs have read and planned the archive: from here they do the same work at the same pace.
        start.SignalAndWait();
        try
        {
            var results = await new PhaseRestorer(new RestoreOptions
            {
                Target = _cluster.ConnectionTo(target), CreateDatabase = true, JournalPath = _dir.File(target + ".journal"),
            }).RunAsync(plan.Phases, CancellationToken.None);
            Assert.All(results, r => Assert.True(r.Status == PhaseStatus.Succeeded, $"{r}: {string.Join("; ", r.Errors)}"));
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    [Fact]
    public async Task Two_restores_creating_one_new_database_at_once_leave_one_restoring_and_refuse_the_other_as_busy()
    {
        for (int round = 0; round < 5; round++)
        {
            var target = $"race_{Guid.NewGuid():N}"[..18];
            try
            {
                using var start = new Barrier(2);
                var outcomes = await Task.WhenAll(Task.Run(() => RestoreAsync(target, start)), Task.Run(() => RestoreAsync(target, start)));
                var failures = outcomes.OfType<Exception>().ToList();
                var refused = Assert.IsType<PgPhaseException>(Assert.Single(failures));
                Assert.True(refused.Code is PgPhaseErrorCode.RestoreBusy or PgPhaseErrorCode.TargetNotEmpty or PgPhaseErrorCode.AlreadyRestored or PgPhaseErrorCode.RestoreComplete,
                    $"round {round}: {refused.Code}: {refused.Message}");
                Assert.DoesNotContain('\n', refused.Message);
                Assert.Equal(1000L, _cluster.Scalar<long>(target, "SELECT count(*) FROM t"));
            }
            finally
            {
                _cluster.DropDatabase(target);
            }
        }
    }
}
