using System.Collections.Concurrent;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Backup;

/// <summary>
/// s3rver writes an object's body and its metadata one after the other, as some S3-compatible servers do, so a read
/// racing a write can get one version's headers beside another's body. Two backups racing for one key read the lock
/// exactly then. Against a writer that replaces the lock every 100 ms, every read must give one whole version that
/// was written, until three reads have been caught mid-write and read again. Torn answers came back as a body cut
/// short (an IOException), a failed checksum, and headers the SDK could not decode (an ArgumentOutOfRangeException
/// that reached the loser of the race as a bug).
/// </summary>
public sealed class TornLockReadTests
{
    [Fact]
    public async Task A_lock_read_while_another_run_rewrites_it_every_100_ms_always_gives_a_whole_version()
    {
        using var s3 = new S3rverServer();
        var bucket = s3.CreateBucket("torn");
        using var client = s3.Client();
        var torn = new ConcurrentBag<string>();
        var store = new S3LockStore(client, S3ObjectLocation.Parse($"s3://{bucket}/db.dump.lock"), torn.Add);
        // Each version names itself and differs in length from the next, as heartbeats' timestamps do.
        var written = new ConcurrentDictionary<string, bool>();
        string Version(int n, Random random) => $"version {n} " + new string('x', random.Next(50, 400));
        var first = Version(0, new Random(7));
        written[first] = true;
        Assert.True(await store.CreateAsync(first, CancellationToken.None));

        // Until three reads have been caught mid-write (how often depends on the machine), twenty versions written and
        // twenty read, for 30 s at most.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var writer = Task.Run(async () =>
        {
            var random = new Random(7);
            for (int n = 1; !stop.IsCancellationRequested; n++)
            {
                var text = Version(n, random);
                written[text] = true;
                await store.ReplaceAsync(text, null, CancellationToken.None);
                await Task.Delay(100);
            }
        });
        var failures = new List<string>();
        int reads = 0;
        try
        {
            while (!stop.IsCancellationRequested && (torn.Count < 3 || written.Count < 20 || reads < 20))
            {
                try
                {
                    var record = await store.ReadAsync(CancellationToken.None);
                    if (record is null || !written.ContainsKey(record.Text))
                        failures.Add($"read a version never written: {record?.Text ?? "(none)"}");
                    reads++;
                }
                catch (Exception ex)
                {
                    failures.Add(ex.ToString());
                }
            }
        }
        finally
        {
            stop.Cancel();
            await writer;
        }

        Assert.True(written.Count >= 20 && reads >= 20, $"{written.Count} writes and {reads} reads: the race was not run");
        Assert.True(failures.Count == 0, $"{failures.Count} of {reads + failures.Count} reads failed ({torn.Count} torn reads were read again):\n" +
                                         string.Join("\n\n", failures.Take(3)));
        Assert.True(!torn.IsEmpty, "no read was caught mid-write: the race did not happen, so the test proved nothing");
    }
}
