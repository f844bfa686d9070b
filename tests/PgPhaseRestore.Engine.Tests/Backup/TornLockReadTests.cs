using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Backup;

/// <summary>
/// s3rver writes an object's body and its metadata one after the other, as some S3-compatible servers do, so a read
/// racing a write can get one version's headers beside another's body. Two backups racing for one key read the lock
/// exactly then. Against a writer that replaces the lock every 100 ms, every read must give a whole record: torn
/// answers came back as a body cut short (an IOException), a failed checksum, and headers the SDK could not decode
/// (an ArgumentOutOfRangeException that reached the loser of the race as a bug).
/// </summary>
public sealed class TornLockReadTests
{
    [Fact]
    public async Task A_lock_read_while_another_run_rewrites_it_every_100_ms_always_gives_a_whole_record()
    {
        using var s3 = new S3rverServer();
        var bucket = s3.CreateBucket("torn");
        using var client = s3.Client();
        var store = new S3LockStore(client, S3ObjectLocation.Parse($"s3://{bucket}/db.dump.lock"), null);
        Assert.True(await store.CreateAsync("{}", CancellationToken.None));
        var until = DateTime.UtcNow.AddSeconds(10);

        int writes = 0;
        var writer = Task.Run(async () =>
        {
            var random = new Random(7);
            while (DateTime.UtcNow < until)
            {
                // Lengths that differ from one version to the next, as heartbeats' timestamps do.
                await store.ReplaceAsync(new string('x', random.Next(50, 400)), null, CancellationToken.None);
                writes++;
                // Far more often than any heartbeat, yet leaving the server time to answer reads between writes.
                await Task.Delay(100);
            }
        });
        var failures = new List<Exception>();
        int reads = 0;
        while (DateTime.UtcNow < until)
        {
            try
            {
                var record = await store.ReadAsync(CancellationToken.None);
                Assert.NotNull(record);
                Assert.Matches("^(\\{\\}|x{50,399})$", record!.Text);
                reads++;
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                failures.Add(ex);
            }
        }
        await writer;

        Assert.True(writes > 10 && reads > 10, $"{writes} writes and {reads} reads: the race was not run");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(3)));
    }
}
