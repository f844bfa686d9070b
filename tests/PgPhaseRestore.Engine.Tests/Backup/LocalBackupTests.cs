using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Processes;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Backup;

/// <summary>Backups to local files and folders: same guarantees as the bucket (nothing partial visible, manifest last).</summary>
[Collection(ServicesCollection.Name)]
public sealed class LocalBackupTests : IDisposable
{
    private readonly PostgresCluster _cluster;
    private readonly TempDir _dir = new();

    public LocalBackupTests(Services services) => _cluster = services.Postgres;

    private string SmallDatabase()
    {
        var db = _cluster.CreateDatabase("local");
        _cluster.Execute(db, "CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a SELECT g, md5(g::text) FROM generate_series(1, 5000) g; " +
                             "CREATE TABLE b (id int PRIMARY KEY, a int REFERENCES a, w text); INSERT INTO b SELECT g, g, repeat('x', 50) FROM generate_series(1, 5000) g; " +
                             "CREATE TABLE audit (id int, note text); INSERT INTO audit SELECT g, 'n' FROM generate_series(1, 100) g;");
        return db;
    }

    private async Task RestoreAndCompareAsync(string location, string source)
    {
        var target = source + "_r";
        var plan = await ArchivePlanning.PlanAsync(new ArchiveLocation(location), new PlanOptions(), CancellationToken.None);
        var results = await new PhaseRestorer(new RestoreOptions
        {
            Target = _cluster.ConnectionTo(target), CreateDatabase = true, Jobs = 2, JournalPath = _dir.File(target + ".journal"),
        }).RunAsync(plan.Phases, CancellationToken.None);
        Assert.All(results, r => Assert.True(r.Status == PhaseStatus.Succeeded, $"{r}: {string.Join("; ", r.Errors)}"));
        Assert.Equal(DatabaseContents.Fingerprint(_cluster, source), DatabaseContents.Fingerprint(_cluster, target));
    }

    /// <summary>
    /// A table another session holds locked: the backup fails within its lock wait, naming the table, as pg_dump
    /// would; sizing the tables first no longer waits for the lock whatever the wait asked.
    /// </summary>
    [Fact]
    public async Task A_locked_table_fails_the_backup_within_its_lock_wait_naming_the_table()
    {
        var db = SmallDatabase();
        await using var holder = _cluster.Open(db);
        await using (var begin = new Npgsql.NpgsqlCommand("BEGIN; LOCK TABLE audit IN ACCESS EXCLUSIVE MODE", holder))
            await begin.ExecuteNonQueryAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => new BackupRunner(new BackupOptions
        {
            Source = _cluster.ConnectionTo(db), Destination = _dir.Path + "/", BackupName = "locked", LockWaitTimeout = TimeSpan.FromSeconds(1),
        }).RunAsync(CancellationToken.None));
        clock.Stop();
        // The server's lock timeout: the source's table is locked, a wait that ran out (busy).
        Assert.True(ex.Code == PgPhaseErrorCode.SourceLocked, $"{ex.Code}: {ex.Message}");
        Assert.Equal(PgPhaseErrorKind.Busy, ex.Kind);
        Assert.Contains("(audit)", ex.Message);
        Assert.Contains("lock wait of 1 s", ex.Message);
        // Well inside the lock holder's time (it holds until the test ends): the wait was bounded.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, db)) && Directory.EnumerateFiles(Path.Combine(_dir.Path, db)).Any());
    }

    [Fact]
    public async Task A_custom_file_backup_under_a_prefix_has_its_manifest_and_restores_with_parallel_jobs()
    {
        var db = SmallDatabase();
        var manifest = await new BackupRunner(new BackupOptions { Source = _cluster.ConnectionTo(db), Destination = _dir.Path + "/", BackupName = "nightly" }).RunAsync(CancellationToken.None);

        Assert.Equal(Path.Combine(_dir.Path, db, "nightly.dump"), manifest.Location);
        Assert.Equal(new FileInfo(manifest.Location).Length, manifest.Size);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(manifest.Location))).ToLowerInvariant(), manifest.Sha256);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(manifest.Location)!, "*partial*"));
        var listed = Assert.Single(await BackupCatalog.ListAsync(new ArchiveLocation(_dir.Path), db, CancellationToken.None));
        Assert.Equal(manifest.Sha256, listed.Sha256);
        await RestoreAndCompareAsync(manifest.Location, db);
    }

    /// <summary>
    /// Backups under a prefix without a name are named after the UTC time to the millisecond: three in a row, as a
    /// script makes them, are three backups (not a refusal for the second one in the same second), newest first.
    /// </summary>
    [Fact]
    public async Task Backups_named_by_the_time_one_right_after_another_are_each_kept()
    {
        var at = new DateTimeOffset(2026, 12, 6, 20, 16, 16, 123, TimeSpan.Zero);
        Assert.Equal(Path.Combine(_dir.Path, "app", "20261206T201616.123Z.dump"), BackupNaming.ResolveDestination(_dir.Path + "/", "app", null, BackupFormat.Custom, at));
        Assert.NotEqual(BackupNaming.ResolveDestination(_dir.Path + "/", "app", null, BackupFormat.Custom, at),
            BackupNaming.ResolveDestination(_dir.Path + "/", "app", null, BackupFormat.Custom, at.AddMilliseconds(1)));

        var db = SmallDatabase();
        var made = new List<string>();
        for (int i = 0; i < 3; i++)
            made.Add((await new BackupRunner(new BackupOptions { Source = _cluster.ConnectionTo(db), Destination = _dir.Path + "/" }).RunAsync(CancellationToken.None)).Location);
        Assert.Equal(3, made.Distinct().Count());
        var listed = await BackupCatalog.ListAsync(new ArchiveLocation(_dir.Path), db, CancellationToken.None);
        Assert.Equal(Enumerable.Reverse(made), listed.Select(b => b.Location));
    }

    /// <summary>
    /// A database's name becomes one folder under the prefix, whatever it holds: ".." does not climb out of the
    /// prefix, and "x/b" and "x_b" do not share a folder (one backup replacing the other's). A backup name that
    /// would climb out is refused before anything is written.
    /// </summary>
    [Fact]
    public async Task Database_names_with_slashes_or_dots_each_get_their_own_folder_under_the_prefix()
    {
        string tag = $"n{Guid.NewGuid():N}"[..9];
        string[] names = ["..", $"{tag}/b", $"{tag}_b", $"{tag}%2Fb"];
        _cluster.Execute("postgres", "DROP DATABASE IF EXISTS \"..\" WITH (FORCE)");
        foreach (var name in names)
        {
            _cluster.Execute("postgres", $"CREATE DATABASE \"{name}\"");
            _cluster.Execute(name, $"CREATE TABLE t (v text); INSERT INTO t VALUES ('{name}')");
        }
        var prefix = Path.Combine(_dir.Path, "prefix") + "/";
        try
        {
            var locations = new List<string>();
            foreach (var name in names)
            {
                var manifest = await new BackupRunner(new BackupOptions { Source = _cluster.ConnectionTo(name), Destination = prefix, BackupName = "nightly", Force = true }).RunAsync(CancellationToken.None);
                Assert.StartsWith(prefix, manifest.Location, StringComparison.Ordinal);
                Assert.Equal(2, Path.GetRelativePath(prefix, manifest.Location).Split('/').Length);
                locations.Add(manifest.Location);
            }
            Assert.Equal(names.Length, locations.Distinct().Count());
            Assert.False(File.Exists(Path.Combine(_dir.Path, "nightly.dump")));

            foreach (var (name, location) in names.Zip(locations))
            {
                var listed = Assert.Single(await BackupCatalog.ListAsync(new ArchiveLocation(prefix), name, CancellationToken.None));
                Assert.Equal((name, location), (listed.Database, listed.Location));
                var resolved = await BackupCatalog.ResolveAsync(new ArchiveLocation(prefix), name, null, CancellationToken.None);
                Assert.Equal(location, resolved.Path);
                var archive = await ArchiveReader.ReadAsync(resolved, CancellationToken.None);
                Assert.Equal(name, archive.DatabaseName);
            }
            Assert.Equal(names.Length, (await BackupCatalog.ListAsync(new ArchiveLocation(prefix), null, CancellationToken.None)).Count);

            foreach (var bad in new[] { "../escape", "..", "a/b", "a\\b" })
            {
                var ex = await Assert.ThrowsAsync<PgPhaseException>(() => new BackupRunner(new BackupOptions { Source = _cluster.ConnectionTo(names[1]), Destination = prefix, BackupName = bad }).RunAsync(CancellationToken.None));
                Assert.Equal(PgPhaseErrorCode.InvalidInput, ex.Code);
                Assert.StartsWith($"backup name \"{bad}\": ", ex.Message, StringComparison.Ordinal);
            }
            Assert.Equal(names.Length, Directory.GetFiles(prefix, "*.dump", SearchOption.AllDirectories).Length);
            Assert.False(Directory.Exists(Path.Combine(_dir.Path, "escape")));
        }
        finally
        {
            foreach (var name in names)
                _cluster.DropDatabase(name);
        }
    }

    /// <summary>
    /// A byte changed in a local backup, the size unchanged: refused by its SHA-256 before the target is created,
    /// for a custom file (a row's byte) and a folder (a data file's byte, named).
    /// </summary>
    [Theory]
    [InlineData(BackupFormat.Custom)]
    [InlineData(BackupFormat.Directory)]
    public async Task A_local_backup_changed_after_it_was_made_is_refused_by_its_sha256(BackupFormat format)
    {
        var db = SmallDatabase();
        var location = _dir.File($"changed-{format}") + (format == BackupFormat.Custom ? ".dump" : "");
        var manifest = await new BackupRunner(new BackupOptions { Source = _cluster.ConnectionTo(db), Destination = location, Format = format, Compression = "0" }).RunAsync(CancellationToken.None);
        // An md5 text of the rows of table a: one hex digit becomes another, the size stays.
        const string Row = "c4ca4238a0b923820dcc509a6f75849b";
        var changedFile = format == BackupFormat.Custom ? manifest.Location
            : Directory.GetFiles(manifest.Location, "*.dat").Single(f => File.ReadAllText(f).Contains(Row, StringComparison.Ordinal));
        var bytes = await File.ReadAllBytesAsync(changedFile);
        int at = System.Text.Encoding.ASCII.GetString(bytes).IndexOf(Row, StringComparison.Ordinal);
        Assert.True(at > 0, "the row's text is in the file");
        bytes[at] = (byte)'d';
        await File.WriteAllBytesAsync(changedFile, bytes);

        var target = db + "_chg";
        var plan = await ArchivePlanning.PlanAsync(new ArchiveLocation(manifest.Location), new PlanOptions(), CancellationToken.None);
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => new PhaseRestorer(new RestoreOptions
        {
            Target = _cluster.ConnectionTo(target), CreateDatabase = true, JournalPath = _dir.File(target + ".journal"),
        }).RunAsync(plan.Phases, CancellationToken.None));
        Assert.Equal(PgPhaseErrorCode.DamagedArchive, ex.Code);
        Assert.Contains($"{manifest.Location} has SHA-256 ", ex.Message);
        if (format == BackupFormat.Directory)
            Assert.Contains($"({Path.GetFileName(changedFile)} changed)", ex.Message);
        Assert.Equal(0L, _cluster.Scalar<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'"));
    }

    /// <summary>
    /// A database pgphase is restoring into (its restore lock held, as PhaseRestorer holds it) is not backed up: the
    /// backup would hold part of a restore and be listed as complete. Once the restore ends, it is.
    /// </summary>
    [Fact]
    public async Task A_database_a_restore_is_loading_is_not_backed_up()
    {
        var db = SmallDatabase();
        var location = _dir.File("during.dump");
        await using (await RestoreLock.AcquireAsync(_cluster.ConnectionTo(db), allowPooler: false, TimeSpan.FromSeconds(1), null, CancellationToken.None))
        {
            var ex = await Assert.ThrowsAsync<PgPhaseException>(() => new BackupRunner(new BackupOptions { Source = _cluster.ConnectionTo(db), Destination = location }).RunAsync(CancellationToken.None));
            Assert.Equal(PgPhaseErrorCode.RestoreBusy, ex.Code);
            Assert.StartsWith($"a pgphase restore into \"{db}\" is running (backend pid ", ex.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(location));
            Assert.False(File.Exists(BackupManifest.ManifestLocationFor(location)));
        }
        var manifest = await new BackupRunner(new BackupOptions { Source = _cluster.ConnectionTo(db), Destination = location }).RunAsync(CancellationToken.None);
        Assert.Equal(location, manifest.Location);
    }

    [Fact]
    public async Task A_directory_backup_dumps_in_parallel_and_records_every_file()
    {
        var db = SmallDatabase();
        var folder = _dir.File("dir-backup");
        var manifest = await new BackupRunner(new BackupOptions
        {
            Source = _cluster.ConnectionTo(db), Destination = folder, Format = BackupFormat.Directory, Jobs = 2, ExcludeTableData = ["audit"],
        }).RunAsync(CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(folder, "toc.dat")));
        Assert.Contains(manifest.Files, f => f.Name == "toc.dat");
        Assert.Equal(Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length), manifest.Size);
        Assert.Equal(["audit"], manifest.Filters.ExcludeTableData);
        Assert.Equal(2, manifest.Toc.TableData);
        var target = db + "_r";
        var plan = await ArchivePlanning.PlanAsync(new ArchiveLocation(folder), new PlanOptions(), CancellationToken.None);
        var results = await new PhaseRestorer(new RestoreOptions { Target = _cluster.ConnectionTo(target), CreateDatabase = true, Jobs = 2, JournalPath = _dir.File("dir.journal") })
            .RunAsync(plan.Phases, CancellationToken.None);
        Assert.All(results, r => Assert.True(r.Status == PhaseStatus.Succeeded, $"{r}: {string.Join("; ", r.Errors)}"));
        var source = DatabaseContents.Fingerprint(_cluster, db);
        var restored = DatabaseContents.Fingerprint(_cluster, target);
        Assert.Equal(source["r public.b"], restored["r public.b"]);
        Assert.StartsWith("0 rows", restored["r public.audit"]);
    }

    [Fact]
    public async Task A_failed_dump_leaves_nothing_behind_and_names_the_problem()
    {
        var db = SmallDatabase();
        var location = _dir.File("failed.dump");
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => new BackupRunner(new BackupOptions
        {
            Source = _cluster.ConnectionTo(db), Destination = location, Tables = ["no_such_table"],
        }).RunAsync(CancellationToken.None));

        Assert.Contains("pg_dump failed", ex.Message);
        Assert.Contains("no matching tables were found", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));
    }

    [Fact]
    public async Task A_forced_backup_that_fails_or_is_stopped_leaves_the_old_backup_listed_and_whole()
    {
        var db = SmallDatabase();
        var location = _dir.File("kept.dump");
        var first = await new BackupRunner(new BackupOptions { Source = _cluster.ConnectionTo(db), Destination = location }).RunAsync(CancellationToken.None);

        var failed = await Assert.ThrowsAsync<PgPhaseException>(() => new BackupRunner(new BackupOptions
        {
            Source = _cluster.ConnectionTo(db), Destination = location, Force = true, Tables = ["no_such_table"],
        }).RunAsync(CancellationToken.None));
        Assert.Contains("no matching tables were found", failed.Message);
        await AssertStillThereAsync();

        // Stopped once pg_dump writes: the dump was never complete, so the old backup never stopped counting.
        using var stop = new CancellationTokenSource();
        var stopped = new BackupRunner(new BackupOptions { Source = _cluster.ConnectionTo(db), Destination = location, Force = true, Compression = "0" },
            new CallbackProgress<BackupProgress>(p => { if (p.Bytes > 0) stop.Cancel(); }));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stopped.RunAsync(stop.Token));
        await AssertStillThereAsync();

        var replaced = await new BackupRunner(new BackupOptions { Source = _cluster.ConnectionTo(db), Destination = location, Force = true, Compression = "0" }).RunAsync(CancellationToken.None);
        Assert.NotEqual(first.Sha256, replaced.Sha256);
        Assert.Equal(replaced.Sha256, (await ManifestStore.TryLoadAsync(location, null, CancellationToken.None))!.Sha256);

        async Task AssertStillThereAsync()
        {
            var manifest = await ManifestStore.TryLoadAsync(location, null, CancellationToken.None);
            Assert.Equal(first.Sha256, manifest?.Sha256);
            Assert.Equal(first.Sha256, (await ArchiveDigest.HashAsync(location, CancellationToken.None)).Sha256);
            Assert.Equal(new[] { "kept.dump", "kept.dump.manifest.json" }, Directory.GetFileSystemEntries(_dir.Path).Select(Path.GetFileName).Order());
        }
    }

    [Fact]
    public async Task An_unreachable_source_is_named_without_its_password()
    {
        var password = "Secret-" + Guid.NewGuid().ToString("N");
        var source = PgConnectionInfo.Parse($"host={_cluster.Host} port={_cluster.Port} dbname=postgres user=nobody_here", _ => null).WithCredentials("nobody_here", password);
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => new BackupRunner(new BackupOptions { Source = source, Destination = _dir.File("x.dump") }).RunAsync(CancellationToken.None));
        Assert.Contains("cannot connect to the source nobody_here@", ex.Message);
        Assert.DoesNotContain(password, ex.ToString());
    }

    [Fact]
    public void A_pg_dump_older_than_the_server_is_refused_with_what_was_found()
    {
        var ex = Assert.Throws<PgPhaseException>(() => PgToolLocator.Find("pg_dump", 99, "the source server x (PostgreSQL 99.0)"));
        Assert.Contains("needs pg_dump 99 or later", ex.Message);
        Assert.Contains("found only 15", ex.Message);
    }

    public void Dispose() => _dir.Dispose();
}
