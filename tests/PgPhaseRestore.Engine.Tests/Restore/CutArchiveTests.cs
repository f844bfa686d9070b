using System.Buffers.Binary;
using System.Globalization;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Planning;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Cli;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// A local custom or directory archive cut short (a copy that stopped, a full disk, a file gone from a directory)
/// is refused before anything touches the target, naming the archive, the entry whose data is missing and the
/// byte where the file ends; with one job and with several, for a dump pg_dump wrote to a file (data offsets in
/// its TOC) and to a pipe (none). Without the check pg_restore creates the schema, then fails in the data phase
/// with its own "could not read from input file: end of file" or "could not find block ID".
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class CutArchiveTests : IClassFixture<RestoreFixture>, IDisposable
{
    private readonly RestoreFixture _f;
    private readonly TempDir _dir = new("pgphase-cut-");

    public CutArchiveTests(RestoreFixture fixture) => _f = fixture;

    public void Dispose() => _dir.Dispose();

    private async Task<IReadOnlyList<PhaseResult>> RestoreAsync(string archivePath, string target, int jobs, bool createDatabase = true, IReadOnlyCollection<int>? phases = null,
        long splitTableSize = RestoreOptions.DefaultSplitTableSize, List<string>? log = null)
    {
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(archivePath));
        var plan = PhasePlanner.Plan(archive, new PlanOptions { Strategy = RestoreStrategy.PreCreate });
        var options = _f.Options(target);
        return await new PhaseRestorer(new RestoreOptions
        {
            Target = options.Target, CreateDatabase = createDatabase, NoOwner = true, NoPrivileges = true, JournalPath = options.JournalPath,
            Jobs = jobs, Phases = phases ?? [], SplitTableSize = splitTableSize,
        }, null, log is null ? null : m => { lock (log) log.Add(m); }).RunAsync(plan.Phases, CancellationToken.None);
    }

    private bool DatabaseExists(string name) =>
        _f.Cluster.Scalar<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{name}'") > 0;

    /// <summary>Relations and schemas a restore would have created: none in an untouched empty database.</summary>
    private long UserObjects(string database) => _f.Cluster.Scalar<long>(database, """
        SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%')
             + (SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg_t%')
        """);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>
    /// The source dumped with -Fc to a file and to a pipe. The two differ only in the TOC's offset flags and values
    /// (the same width), so the pipe dump's blocks lie where the file dump's TOC puts them; checked on the bytes.
    /// </summary>
    private async Task<(string Path, DumpArchive WithOffsets)> DumpAsync(string kind)
    {
        var file = _dir.File($"{kind}-{Guid.NewGuid():N}.dump");
        PgDump.Dump(_f.Cluster, _f.Source, file, "-Fc");
        var withOffsets = await ArchiveReader.ReadAsync(new ArchiveLocation(file));
        if (kind == "file")
            return (file, withOffsets);
        var piped = _dir.File($"pipe-{Guid.NewGuid():N}.dump");
        PgDump.DumpThroughPipe(_f.Cluster, _f.Source, piped);
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(piped));
        Assert.All(archive.Entries.Where(e => e.HadDumper), e => Assert.Equal(DataState.OffsetNotSet, e.DataState));
        Assert.Equal(withOffsets.TocEndOffset, archive.TocEndOffset);
        Assert.Equal(new FileInfo(file).Length, new FileInfo(piped).Length);
        var bytes = await File.ReadAllBytesAsync(piped);
        foreach (var e in withOffsets.Entries.Where(e => e.DataState == DataState.Offset))
        {
            // A block starts with its type (1 table data, 3 large objects) and its dump id as an Int.
            int at = (int)e.DataOffset!.Value;
            Assert.Contains(bytes[at], new byte[] { 1, 3 });
            Assert.Equal(e.DumpId, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at + 2)));
        }
        return (piped, withOffsets);
    }

    /// <summary>Where an entry's block starts and where the next one (or the file) begins.</summary>
    private static (long Start, long End) Block(DumpArchive withOffsets, string path, Func<TocEntry, bool> which)
    {
        var blocks = withOffsets.Entries.Where(e => e.DataState == DataState.Offset).OrderBy(e => e.DataOffset).ToList();
        int i = blocks.FindIndex(e => which(e));
        return (blocks[i].DataOffset!.Value, i + 1 < blocks.Count ? blocks[i + 1].DataOffset!.Value : new FileInfo(path).Length);
    }

    private static void Cut(string path, long length)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.SetLength(length);
    }

    public static TheoryData<string, int> KindsAndJobs => new() { { "file", 1 }, { "file", 4 }, { "pipe", 1 }, { "pipe", 4 } };

    [Theory]
    [MemberData(nameof(KindsAndJobs))]
    public async Task Cut_inside_a_table_s_data_is_refused_naming_the_table_and_the_end_of_the_file_and_no_database_is_created(string kind, int jobs)
    {
        var (path, withOffsets) = await DumpAsync(kind);
        var events = withOffsets.Entries.Single(e => e.Type == "TABLE DATA" && e.QualifiedName == "app.events");
        var (start, end) = Block(withOffsets, path, e => e.DumpId == events.DumpId);
        Assert.True(end - start > 100_000, $"app.events's block is {end - start} bytes");
        long length = start + (end - start) / 2;
        Cut(path, length);

        var target = _f.NewTargetName("cutc");
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(path, target, jobs));

        Assert.Equal(PgPhaseErrorKind.DamagedArchive, ex.Kind);
        Assert.Equal(path, ex.ArchivePath);
        Assert.Equal(length, ex.Offset);
        Assert.StartsWith($"{path}: the archive is cut short: the data of TABLE DATA app.events (dump id {events.DumpId}) " +
                          $"starts at byte {N(start)} and runs past the end of the file at byte {N(length)}", ex.Message);
        Assert.False(DatabaseExists(target), "the restore created the target database of an archive it cannot restore");
    }

    /// <summary>A data offset in the TOC far past the end of the file is a damaged TOC, and said so, not a cut.</summary>
    [Fact]
    public async Task An_offset_far_past_the_file_s_end_is_refused_as_a_damaged_table_of_contents()
    {
        var (path, withOffsets) = await DumpAsync("file");
        var events = withOffsets.Entries.Single(e => e.Type == "TABLE DATA" && e.QualifiedName == "app.events");
        var bytes = await File.ReadAllBytesAsync(path);
        // pg_dump writes a set offset as the flag 2 and then its 8 bytes, least significant first.
        var written = new byte[9];
        written[0] = 2;
        BinaryPrimitives.WriteInt64LittleEndian(written.AsSpan(1), events.DataOffset!.Value);
        int at = bytes.AsSpan(0, (int)withOffsets.TocEndOffset).IndexOf(written);
        Assert.True(at > 0, "the offset of app.events's data is in the TOC");
        bytes[at + 7] = 0x40;
        await File.WriteAllBytesAsync(path, bytes);

        var target = _f.NewTargetName("toc");
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(path, target, 1));
        Assert.Equal(PgPhaseErrorKind.DamagedArchive, ex.Kind);
        Assert.StartsWith($"{path}: the archive's table of contents is damaged: it says that the data of TABLE DATA app.events (dump id {events.DumpId}) starts at byte ", ex.Message);
        Assert.False(DatabaseExists(target));
    }

    /// <summary>
    /// A byte changed inside a table's compressed data: the file is whole, so only decompressing finds it. The phase
    /// fails naming the table and the archive, with pg_restore's reason, as a damaged archive: loaded by pg_restore
    /// alone (one job); split over sessions, where the rows' stream ending early is what follows from the damage, not
    /// its cause; or by pg_restore -j, whose leader may say a worker died before the worker's own error is read: the
    /// cause comes first, naming what was loading.
    /// </summary>
    [Theory]
    [InlineData(1, 1024 * 1024)]
    [InlineData(2, 1024 * 1024)]
    [InlineData(2, 0)]
    public async Task A_changed_byte_in_a_table_s_compressed_data_fails_the_phase_naming_the_table_the_archive_and_the_reason(int jobs, long splitTableSize)
    {
        var (path, withOffsets) = await DumpAsync("file");
        var events = withOffsets.Entries.Single(e => e.Type == "TABLE DATA" && e.QualifiedName == "app.events");
        var (start, end) = Block(withOffsets, path, e => e.DumpId == events.DumpId);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[start + (end - start) / 2] ^= 0x55;
        await File.WriteAllBytesAsync(path, bytes);

        var target = _f.NewTargetName("flip");
        var log = new List<string>();
        var results = await RestoreAsync(path, target, jobs, splitTableSize: splitTableSize, log: log);
        var data = results.Single(r => r.Phase == 3);
        Assert.Equal(PhaseStatus.Failed, data.Status);
        // The cause first, whichever pg_restore printed first; the archive's bytes are at fault, not the restore.
        var error = data.Errors[0];
        Assert.Equal(PgPhaseErrorCode.DamagedArchive, error.Code);
        Assert.Equal(PgPhaseErrorKind.DamagedArchive, error.ToException().Kind);
        var said = error.ToString();
        Assert.Contains("app", said);
        Assert.Contains("events", said);
        Assert.Contains(path, said);
        Assert.DoesNotContain("ended before the end of the table's rows", said);
        Assert.DoesNotContain("worker process died", said);
        if (splitTableSize == 0)
        {
            // Workers' lines interleave: the table is named as the one loading when the error came, or among them.
            Assert.Matches(@"TABLE DATA app[ .]events\b", said);
        }
        else if (jobs == 2)
        {
            // Split over two sessions, the block is decompressed by pgphase, which names where it lies.
            Assert.Equal(events.DumpId, error.DumpId);
            Assert.Contains(log, l => l.StartsWith("loading app.events over 2 sessions", StringComparison.Ordinal));
            Assert.Contains($"block at byte {start}) cannot be decompressed", said);
        }
        else
        {
            // One job: pg_restore reads the block and says why it cannot.
            Assert.Equal(events.DumpId, error.DumpId);
            Assert.Contains("pg_restore", said);
        }
        Assert.Equal(0, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.events"));
    }

    [Theory]
    [MemberData(nameof(KindsAndJobs))]
    public async Task Cut_where_a_table_s_data_begins_is_refused_and_an_empty_target_stays_empty(string kind, int jobs)
    {
        var (path, withOffsets) = await DumpAsync(kind);
        var events = withOffsets.Entries.Single(e => e.Type == "TABLE DATA" && e.QualifiedName == "app.events");
        var (start, _) = Block(withOffsets, path, e => e.DumpId == events.DumpId);
        Cut(path, start);
        var target = _f.NewTargetName("cutb");
        _f.Cluster.Execute("postgres", $"CREATE DATABASE {target} OWNER {_f.Restorer}");

        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(path, target, jobs, createDatabase: false));

        Assert.Equal(PgPhaseErrorKind.DamagedArchive, ex.Kind);
        Assert.Contains($"{path}: the archive is cut short: the data of TABLE DATA app.events (dump id {events.DumpId}) ", ex.Message);
        if (kind == "file")
            Assert.Contains($"starts at byte {N(start)} but the file ends at byte {N(start)}", ex.Message);
        else
            Assert.Contains($"is not in the file, which ends at byte {N(start)}, after the data of TABLE DATA ", ex.Message);
        Assert.Equal(0L, UserObjects(target));
    }

    [Theory]
    [MemberData(nameof(KindsAndJobs))]
    public async Task Cut_inside_the_last_block_the_large_objects_is_refused_naming_them(string kind, int jobs)
    {
        var (path, withOffsets) = await DumpAsync(kind);
        var last = withOffsets.Entries.Where(e => e.DataState == DataState.Offset).MaxBy(e => e.DataOffset)!;
        Assert.Equal("BLOBS", last.Type); // pg_dump writes the large objects' block after every table's
        long length = new FileInfo(path).Length - 3;
        Cut(path, length);

        var target = _f.NewTargetName("cutl");
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(path, target, jobs));

        Assert.Contains($"the data of BLOBS (dump id {last.DumpId}) starts at byte {N(last.DataOffset!.Value)} and runs past the end of the file at byte {N(length)}", ex.Message);
        Assert.DoesNotContain("more entr", ex.Message);
        Assert.False(DatabaseExists(target));
    }

    [Fact]
    public async Task A_cut_archive_still_restores_the_phases_that_need_none_of_its_data()
    {
        var (path, withOffsets) = await DumpAsync("file");
        var events = withOffsets.Entries.Single(e => e.Type == "TABLE DATA" && e.QualifiedName == "app.events");
        var (start, end) = Block(withOffsets, path, e => e.DumpId == events.DumpId);
        Cut(path, start + (end - start) / 2);
        var target = _f.NewTargetName("cuts");

        var results = await RestoreAsync(path, target, jobs: 4, phases: [1, 2]);

        Assert.All(results, r => Assert.Equal(PhaseStatus.Succeeded, r.Status));
        Assert.Equal(0L, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.events"));
    }

    [Fact]
    public async Task A_whole_archive_written_to_a_pipe_passes_the_check_and_restores()
    {
        var (path, _) = await DumpAsync("pipe");
        var target = _f.NewTargetName("cutw");
        var log = new List<string>();
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(path));
        var plan = PhasePlanner.Plan(archive, new PlanOptions { Strategy = RestoreStrategy.PreCreate });

        var results = await new PhaseRestorer(_f.Options(target), log: m => { lock (log) log.Add(m); }).RunAsync(plan.Phases, CancellationToken.None);

        Assert.All(results, r => Assert.Equal(PhaseStatus.Succeeded, r.Status));
        int withData = archive.Entries.Count(e => e.DataState == DataState.OffsetNotSet);
        Assert.Contains(log, l => l.StartsWith($"{path}: the data of {withData} entries lies within the file", StringComparison.Ordinal));
        Assert.Equal(_f.Cluster.Scalar<long>(_f.Source, "SELECT count(*) FROM app.events"), _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.events"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task A_directory_missing_a_data_file_is_refused_naming_it(int jobs)
    {
        var dir = _dir.File($"dir-{jobs}");
        PgDump.Dump(_f.Cluster, _f.Source, dir, "-Fd");
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(dir));
        var events = archive.Entries.Single(e => e.Type == "TABLE DATA" && e.QualifiedName == "app.events");
        File.Delete(Path.Combine(dir, $"{events.DumpId}.dat.gz"));

        var target = _f.NewTargetName("cutd");
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(dir, target, jobs));

        Assert.Equal(PgPhaseErrorKind.DamagedArchive, ex.Kind);
        Assert.Equal($"{dir}: the data file {events.DumpId}.dat.gz of TABLE DATA app.events (dump id {events.DumpId}) is missing", ex.Message);
        Assert.False(DatabaseExists(target));
    }

    [Theory]
    [InlineData("-Z0", ".dat")]
    [InlineData("-Z6", ".dat.gz")]
    public async Task A_directory_data_file_cut_short_is_refused_naming_it(string compression, string suffix)
    {
        var dir = _dir.File($"dir{compression}");
        PgDump.Dump(_f.Cluster, _f.Source, dir, "-Fd", compression);
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(dir));
        var events = archive.Entries.Single(e => e.Type == "TABLE DATA" && e.QualifiedName == "app.events");
        var data = Path.Combine(dir, events.DumpId + suffix);
        // Uncompressed: cut in the middle of the rows; gzip: cut inside its header, which is all the check can see of it.
        long length = suffix == ".dat" ? new FileInfo(data).Length / 2 : 7;
        Cut(data, length);

        var target = _f.NewTargetName("cutf");
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(dir, target, jobs: 4));

        Assert.Equal(data, ex.ArchivePath);
        Assert.StartsWith($"{data}: the data file of TABLE DATA app.events (dump id {events.DumpId}) is cut short: ", ex.Message);
        Assert.EndsWith($"(at byte offset {length})", ex.Message);
        Assert.False(DatabaseExists(target));
    }

    /// <summary>
    /// A gzip data file cut in its middle looks whole to the check before the restore (its header is there, and no
    /// manifest says its size): the data phase then fails for that table as a damaged archive, naming the file, and
    /// commits none of its rows.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_gzip_data_file_cut_in_its_middle_fails_its_table_as_a_damaged_archive_naming_the_file(int jobs)
    {
        var dir = _dir.File($"dir-cutgz-{jobs}");
        PgDump.Dump(_f.Cluster, _f.Source, dir, "-Fd", "-Z6");
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(dir));
        var events = archive.Entries.Single(e => e.Type == "TABLE DATA" && e.QualifiedName == "app.events");
        var data = Path.Combine(dir, events.DumpId + ".dat.gz");
        Cut(data, new FileInfo(data).Length / 2);

        var target = _f.NewTargetName("cutgz");
        var results = await RestoreAsync(dir, target, jobs);
        var phase = results.Single(r => r.Phase == 3);
        Assert.Equal(PhaseStatus.Failed, phase.Status);
        var error = phase.Errors[0];
        Assert.True(error.Code == PgPhaseErrorCode.DamagedArchive, error.ToString());
        Assert.Contains($"{events.DumpId}.dat", error.ToString());
        Assert.Equal(0, _f.Cluster.Scalar<long>(target, "SELECT count(*) FROM app.events"));
    }

    /// <summary>
    /// Large objects: a tar archive cut between its members (before the objects' files and blobs.toc), and a
    /// directory whose blobs.toc lost a line, are refused before anything is created. pg_restore would create every
    /// large object and fill only those listed: the others restored empty, and the restore "succeeded".
    /// </summary>
    [Fact]
    public async Task Large_objects_cut_from_a_tar_archive_or_left_out_of_blobs_toc_are_refused_before_anything_is_created()
    {
        var source = _f.Cluster.CreateDatabase("lobs");
        _f.Cluster.Execute(source, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1); SELECT lo_from_bytea(0, convert_to(repeat('lo', 1000), 'UTF8')) FROM generate_series(1, 3);");
        var tar = _dir.File("lobs.tar");
        PgDump.Dump(_f.Cluster, source, tar, "-Ft");
        var folder = _dir.File("lobs.dir");
        PgDump.Dump(_f.Cluster, source, folder, "-Fd");

        // The tar cut where the first object's member starts: a whole archive to look at, every member before it intact.
        var members = await TarMemberMap.ReadAsync(tar, CancellationToken.None);
        long firstObject = members.Members.Where(m => m.Name.StartsWith("blob_", StringComparison.Ordinal)).Min(m => m.Offset) - 512;
        Cut(tar, firstObject);
        var target = _f.NewTargetName("lotar");
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(tar, target, jobs: 1));
        Assert.Equal(PgPhaseErrorKind.DamagedArchive, ex.Kind);
        Assert.Contains("the tar archive has no member blobs.toc for BLOBS", ex.Message);
        Assert.False(DatabaseExists(target));

        var toc = Path.Combine(folder, "blobs.toc");
        var lines = await File.ReadAllLinesAsync(toc);
        Assert.Equal(3, lines.Length);
        await File.WriteAllLinesAsync(toc, lines[..2]);
        target = _f.NewTargetName("lodir");
        ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(folder, target, jobs: 2));
        Assert.Equal(PgPhaseErrorKind.DamagedArchive, ex.Kind);
        Assert.Contains($"the large objects' table of contents lists 2 of 3 large objects; 1 is missing (OID {lines[2].Split(' ')[0]})", ex.Message);
        Assert.False(DatabaseExists(target));
        _f.Cluster.DropDatabase(source);
    }

    [Fact]
    public async Task A_gzip_data_file_cut_in_its_middle_is_refused_by_the_size_its_backup_manifest_records()
    {
        // From outside, a gzip stream cut in its middle looks whole; a pgphase backup's manifest says what it was.
        var folder = _dir.File("dir-backup");
        var source = _f.Cluster.ConnectionTo(_f.Source);
        await new BackupRunner(new BackupOptions { Source = source, Destination = folder, Format = BackupFormat.Directory, Jobs = 2 }).RunAsync(CancellationToken.None);
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(folder));
        var events = archive.Entries.Single(e => e.Type == "TABLE DATA" && e.QualifiedName == "app.events");
        var data = Path.Combine(folder, $"{events.DumpId}.dat.gz");
        long size = new FileInfo(data).Length;
        Cut(data, size / 2);

        var target = _f.NewTargetName("cutm");
        var ex = await Assert.ThrowsAsync<PgPhaseException>(() => RestoreAsync(folder, target, jobs: 4));

        Assert.Equal(PgPhaseErrorKind.DamagedArchive, ex.Kind);
        Assert.Contains($"({events.DumpId}.dat.gz is {size / 2} bytes but its manifest says {size})", ex.Message);
        Assert.False(DatabaseExists(target));
    }

    [Fact]
    public async Task Pgphase_refuses_a_cut_custom_archive_in_one_line_and_creates_nothing()
    {
        var (path, withOffsets) = await DumpAsync("file");
        var events = withOffsets.Entries.Single(e => e.Type == "TABLE DATA" && e.QualifiedName == "app.events");
        var (start, end) = Block(withOffsets, path, e => e.DumpId == events.DumpId);
        long length = start + (end - start) / 2;
        Cut(path, length);

        var target = _f.NewTargetName("cutcli");
        var run = PgPhaseCli.Run(new Dictionary<string, string?>
        {
            ["DST_PGHOST"] = _f.Cluster.Host, ["DST_PGPORT"] = _f.Cluster.Port.ToString(), ["DST_PGUSER"] = _f.Restorer,
            ["DST_PGPASSWORD"] = _f.RestorerPassword, ["DST_DBNAME"] = target,
            ["PGPASSWORD"] = null, ["PGHOST"] = null, ["PGUSER"] = null, ["PGDATABASE"] = null,
            ["PGPHASE_JOURNAL_DIR"] = _dir.File("journals"),
        }, "restore", path, "--no-owner", "--no-privileges", "--create", "--jobs", "4", "--quiet");

        Assert.NotEqual(0, run.ExitCode);
        var line = Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"{path}: the archive is cut short: the data of TABLE DATA app.events (dump id {events.DumpId}) starts at byte {N(start)} " +
                        $"and runs past the end of the file at byte {N(length)}", line);
        Assert.DoesNotContain("could not read from input file", run.StdErr + run.StdOut);
        Assert.DoesNotContain("Phase 1", run.StdOut);
        Assert.False(DatabaseExists(target));
    }
}
