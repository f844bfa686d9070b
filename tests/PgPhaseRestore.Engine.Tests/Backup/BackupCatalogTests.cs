using Amazon.S3.Model;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Cli;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Backup;

/// <summary>
/// A listing of backups among manifests that mark none: a torn manifest, JSON that is not a manifest, and a manifest
/// whose archive was deleted are each reported by name and left out; the other backups are listed, and the newest
/// that can be restored is the one a prefix resolves to. In a folder and in s3rver alike.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class BackupCatalogTests : IDisposable
{
    private const string Torn = """{"manifestVersion": 1, "location": """;
    private const string NotAManifest = """{"name":"x"}""";

    private readonly PostgresCluster _cluster;
    private readonly S3rverServer _s3;
    private readonly TempDir _dir = new();
    private readonly string _db;

    public BackupCatalogTests(Services services)
    {
        _cluster = services.Postgres;
        _s3 = services.S3;
        _db = _cluster.CreateDatabase("cat");
        _cluster.Execute(_db, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)");
    }

    public void Dispose()
    {
        _cluster.DropDatabase(_db);
        _dir.Dispose();
    }

    /// <summary>Backups old, kept and gone (newest, its archive deleted after) under <paramref name="prefix"/>.</summary>
    private async Task<(BackupManifest Old, BackupManifest Kept, BackupManifest Gone)> ThreeBackupsAsync(string prefix, S3Settings? storage = null)
    {
        var made = new List<BackupManifest>();
        foreach (var name in new[] { "old", "kept", "gone" })
            made.Add(await new BackupRunner(new BackupOptions { Source = _cluster.ConnectionTo(_db), Destination = prefix, BackupName = name, Storage = storage ?? new S3Settings() })
                .RunAsync(CancellationToken.None));
        return (made[0], made[1], made[2]);
    }

    private async Task AssertListedAroundThemAsync(ArchiveLocation prefix, BackupManifest old, BackupManifest kept, string[] reported)
    {
        var seen = new List<(string Manifest, PgPhaseException Why)>();
        var listed = await BackupCatalog.ListAsync(prefix, null, (manifest, why) => seen.Add((manifest, why)), CancellationToken.None);
        Assert.Equal([kept.Location, old.Location], listed.Select(b => b.Location));
        Assert.Equal(reported.Order(StringComparer.Ordinal), seen.Select(s => s.Manifest).Order(StringComparer.Ordinal));
        Assert.All(seen, s =>
        {
            Assert.Equal(PgPhaseErrorCode.NotABackup, s.Why.Code);
            Assert.StartsWith(s.Manifest + ": ", s.Why.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', s.Why.Message);
        });
        Assert.Contains("not a readable backup manifest", seen.Single(s => s.Manifest.EndsWith("torn.manifest.json", StringComparison.Ordinal)).Why.Message);
        Assert.Contains("not a readable backup manifest (it names no manifest version, database or location)",
            seen.Single(s => s.Manifest.EndsWith("notes.manifest.json", StringComparison.Ordinal)).Why.Message);
        Assert.Contains("a manifest without its archive", seen.Single(s => s.Manifest.EndsWith("gone.dump.manifest.json", StringComparison.Ordinal)).Why.Message);

        // Without a listener too, and for one database: the newest backup that can be restored is the one a restore takes.
        Assert.Equal([kept.Location, old.Location], (await BackupCatalog.ListAsync(prefix, _db, CancellationToken.None)).Select(b => b.Location));
        Assert.Equal(kept.Location, (await BackupCatalog.ResolveAsync(prefix, _db, null, CancellationToken.None)).Path);

        // Listing another database's backups: the orphan is this database's, so only the manifests naming none are reported.
        var other = new List<string>();
        Assert.Empty(await BackupCatalog.ListAsync(prefix, "another_db", (manifest, _) => other.Add(manifest), CancellationToken.None));
        Assert.DoesNotContain(other, m => m.EndsWith("gone.dump.manifest.json", StringComparison.Ordinal));
        Assert.Equal(reported.Length - 1, other.Count);
    }

    /// <summary>
    /// A local backup's own archive (or its manifest) lists that one backup, as its key does in a bucket; an archive
    /// whose manifest is gone, or a manifest whose archive is, lists none and says which.
    /// </summary>
    [Fact]
    public async Task A_local_archive_lists_its_own_backup()
    {
        var prefix = _dir.File("single") + "/";
        var (old, kept, gone) = await ThreeBackupsAsync(prefix);
        foreach (var named in new[] { kept.Location, kept.ManifestLocation })
            Assert.Equal([kept.Location], (await BackupCatalog.ListAsync(new ArchiveLocation(named), null, CancellationToken.None)).Select(b => b.Location));
        Assert.Empty(await BackupCatalog.ListAsync(new ArchiveLocation(kept.Location), "another_db", CancellationToken.None));

        File.Delete(gone.Location);
        var seen = new List<string>();
        Assert.Empty(await BackupCatalog.ListAsync(new ArchiveLocation(gone.ManifestLocation), null, (manifest, _) => seen.Add(manifest), CancellationToken.None));
        Assert.Equal([gone.ManifestLocation], seen);
        File.Delete(old.ManifestLocation);
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => BackupCatalog.ListAsync(new ArchiveLocation(old.Location), null, CancellationToken.None));
        Assert.Equal(PgPhaseErrorCode.ArchiveNotFound, ex.Code);
    }

    [Fact]
    public async Task A_folder_lists_its_backups_around_manifests_that_mark_none()
    {
        var prefix = _dir.File("backups") + "/";
        var (old, kept, gone) = await ThreeBackupsAsync(prefix);
        File.Delete(gone.Location);
        Directory.CreateDirectory(_dir.File("backups/zzz"));
        var torn = _dir.File("backups/zzz/torn.manifest.json");
        var notes = _dir.File("backups/notes.manifest.json");
        File.WriteAllText(torn, Torn);
        File.WriteAllText(notes, NotAManifest);

        await AssertListedAroundThemAsync(new ArchiveLocation(prefix), old, kept, [torn, notes, gone.ManifestLocation]);

        // pgphase backups: a warning line for each on stderr, the others listed, and --latest the newest whole one.
        var r = PgPhaseCli.Run("backups", prefix, "--latest");
        Assert.True(r.ExitCode == 0, r.StdErr);
        Assert.Equal(kept.Location, r.StdOut.Trim());
        var warnings = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, warnings.Length);
        Assert.All(warnings, w => Assert.StartsWith("pgphase: warning: ", w, StringComparison.Ordinal));
        Assert.Single(warnings, w => w.Contains(torn, StringComparison.Ordinal));
        Assert.Single(warnings, w => w.Contains(notes, StringComparison.Ordinal));
        Assert.Single(warnings, w => w.Contains(gone.ManifestLocation, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bucket_prefix_lists_its_backups_around_manifests_that_mark_none()
    {
        var bucket = _s3.CreateBucket("cat");
        var prefix = $"s3://{bucket}/nightly/";
        var (old, kept, gone) = await ThreeBackupsAsync(prefix, _s3.Settings());
        using var client = _s3.Client();
        var gap = S3ObjectLocation.Parse(gone.Location);
        await client.DeleteObjectAsync(gap.Bucket, gap.Key);
        // Not chunk-encoded: s3rver would store the chunk framing as the text.
        await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "nightly/zzz/torn.manifest.json", ContentBody = Torn, UseChunkEncoding = false });
        await client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "nightly/notes.manifest.json", ContentBody = NotAManifest, UseChunkEncoding = false });

        await AssertListedAroundThemAsync(new ArchiveLocation(prefix, _s3.Settings()), old, kept,
            [$"{prefix}zzz/torn.manifest.json", $"{prefix}notes.manifest.json", gone.ManifestLocation]);

        // A prefix that reaches into a manifest's name still finds that backup's archive beside it, or its absence.
        Assert.Equal([kept.Location], (await BackupCatalog.ListAsync(new ArchiveLocation(kept.ManifestLocation, _s3.Settings()), null, CancellationToken.None)).Select(b => b.Location));
        Assert.Empty(await BackupCatalog.ListAsync(new ArchiveLocation(gone.ManifestLocation, _s3.Settings()), null, CancellationToken.None));
    }
}
