using System.Text;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Archive;

/// <summary>The native reader lists exactly what `pg_restore -l` lists, for every format pg_dump writes.</summary>
[Collection(ServicesCollection.Name)]
public sealed class PgRestoreListParityTests : IClassFixture<PgRestoreListParityTests.Fixture>, IDisposable
{
    public sealed class Fixture(Services services) : IDisposable
    {
        public SampleArchives Archives { get; } = new(services);
        public void Dispose() => Archives.Dispose();
    }

    private readonly SampleArchives _archives;
    private readonly TempDir _dir = new("pgphase-list-");

    public PgRestoreListParityTests(Fixture fixture) => _archives = fixture.Archives;

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Formats => new() { "custom", "pipe", "uncompressed", "directory", "tar" };

    private string PathOf(string format) => format switch
    {
        "custom" => _archives.CustomFile,
        "pipe" => _archives.CustomPipe,
        "uncompressed" => _archives.CustomUncompressed,
        "directory" => _archives.Directory,
        _ => _archives.Tar,
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Entry_lines_equal_pg_restore_l_line_for_line(string format)
    {
        var path = PathOf(format);
        using var source = ArchiveSources.Open(new ArchiveLocation(path));
        var archive = await ArchiveReader.ReadAsync(source);

        var expected = PgDump.EntryLines(PgDump.List(_archives.Cluster, path));
        var actual = PgDump.EntryLines(RestoreList.Format(archive));

        Assert.True(expected.Length > 60, $"the sample archive should list many entries, got {expected.Length}");
        Assert.Equal(expected, actual);
    }

    public static TheoryData<string, string> FormatsInZones
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var format in new[] { "custom", "pipe", "uncompressed", "directory", "tar" })
                foreach (var zone in new[] { "UTC", "Europe/Berlin" })
                    data.Add(format, zone);
            return data;
        }
    }

    /// <summary>The whole listing, header comments included, as pg_restore prints it with TZ set to the zone.</summary>
    private async Task AssertListingEqualsPgRestore(string path, string zone)
    {
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(path));
        var expected = PgDump.ListBytes(_archives.Cluster, path, zone);

        var actual = Encoding.UTF8.GetBytes(RestoreList.Format(archive, TimeZoneInfo.FindSystemTimeZoneById(zone)));

        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual)); // a readable difference first
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(FormatsInZones))]
    public async Task Listing_equals_pg_restore_l_byte_for_byte_in_the_zone_it_runs_in(string format, string zone)
    {
        await AssertListingEqualsPgRestore(PathOf(format), zone);

        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(PathOf(format)));
        var created = RestoreList.Format(archive, TimeZoneInfo.FindSystemTimeZoneById(zone)).Split('\n')[1];
        Assert.Matches(zone == "UTC" ? @"^; Archive created at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$" : @"^; Archive created at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T$", created);
    }

    /// <summary>
    /// Creation times pg_restore reads in its own zone with the stored daylight-saving flag ("/1" in summer time,
    /// "/0" not, "/-1" unknown): in and out of summer time, a flag the zone does not keep at that time, the hour that
    /// does not exist in spring and the one that exists twice in autumn, a leap second, Berlin's double summer time
    /// of 1945 (CEMST), and times past 2037, where the zone file's transitions end and its rule takes over.
    /// </summary>
    public static TheoryData<string, string> CreationTimes
    {
        get
        {
            var data = new TheoryData<string, string>();
            string[] times =
            [
                "2026-07-01 12:00:00/0", "2026-07-01 12:00:00/1", "2026-07-01 12:00:00/-1",
                "2026-11-21 12:15:30/0", "2026-11-21 12:15:30/1",
                "2026-03-29 02:30:00/0", "2026-03-29 02:30:00/1", "2026-03-29 02:30:00/-1",
                "2026-03-08 02:30:00/0", "2026-03-08 02:30:00/1",
                "2026-10-25 02:30:00/0", "2026-10-25 02:30:00/1", "2026-10-25 02:30:00/-1",
                "2026-11-01 01:30:00/0", "2026-11-01 01:30:00/1",
                "2016-12-31 23:59:60/0",
                "1945-06-01 12:00:00/1", "1945-06-01 12:00:00/0",
                "2040-07-01 12:00:00/1", "2040-07-01 12:00:00/0", "2041-01-01 12:00:00/1",
            ];
            foreach (var zone in new[] { "UTC", "Europe/Berlin", "America/New_York" })
                foreach (var time in times)
                    data.Add(zone, time);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CreationTimes))]
    public async Task Creation_time_reads_as_pg_restore_reads_it(string zone, string created)
    {
        var parts = created.Split([' ', '-', ':', '/'], StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        // The header's struct tm: second, minute, hour, day, month from 0, year from 1900, daylight-saving flag.
        int[] fields = [parts[5], parts[4], parts[3], parts[2], parts[1] - 1, parts[0] - 1900, created.EndsWith("/-1", StringComparison.Ordinal) ? -1 : parts[6]];
        // pg_dump 15 writes archive 1.14: signature, version, sizes and format (11 bytes), the compression Int, then
        // the seven Ints of the creation time, each a sign byte and four bytes least significant first.
        var path = _dir.File($"created-{zone.Replace('/', '-')}-{created.Replace(' ', '_').Replace(':', '-').Replace('/', '_')}.dump");
        var bytes = await File.ReadAllBytesAsync(_archives.CustomFile);
        for (int i = 0; i < fields.Length; i++)
        {
            int at = 16 + 5 * i;
            bytes[at] = (byte)(fields[i] < 0 ? 1 : 0);
            BitConverter.TryWriteBytes(bytes.AsSpan(at + 1, 4), Math.Abs(fields[i]));
        }
        await File.WriteAllBytesAsync(path, bytes);

        await AssertListingEqualsPgRestore(path, zone);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Header_describes_the_dump(string format)
    {
        using var source = ArchiveSources.Open(new ArchiveLocation(PathOf(format)));
        var archive = await ArchiveReader.ReadAsync(source);
        var h = archive.Header;

        Assert.Equal(_archives.Database, h.DatabaseName);
        Assert.Equal(new ArchiveVersion(1, 14, 0), h.Version);
        Assert.StartsWith("15.", h.ServerVersion);
        Assert.StartsWith("15.", h.PgDumpVersion);
        Assert.Equal(4, h.IntSize);
        Assert.Equal(8, h.OffsetSize);
        Assert.InRange(h.CreatedAt, DateTime.Now.AddDays(-2), DateTime.Now.AddDays(2));
        var expectedFormat = format switch
        {
            "directory" => ArchiveFormat.Directory,
            "tar" => ArchiveFormat.Tar,
            _ => ArchiveFormat.Custom,
        };
        Assert.Equal(expectedFormat, h.Format);
        // pg_dump 15: tar is never compressed; -Z0 is none; custom and directory default to gzip (level -1).
        var expectedCompression = format is "tar" or "uncompressed" ? CompressionAlgorithm.None : CompressionAlgorithm.Gzip;
        Assert.Equal(expectedCompression, h.Compression);
    }

    [Fact]
    public async Task Special_entries_are_read_but_not_listed()
    {
        using var source = ArchiveSources.Open(new ArchiveLocation(_archives.CustomFile));
        var archive = await ArchiveReader.ReadAsync(source);

        var specials = archive.Entries.Where(e => e.IsSpecial).Select(e => e.Type).ToHashSet();
        Assert.Equal(new HashSet<string> { "ENCODING", "STDSTRINGS", "SEARCHPATH" }, specials);
        Assert.Contains("UTF8", archive.Entries.Single(e => e.Type == "ENCODING").Definition);
        Assert.DoesNotContain(archive.Entries.Where(RestoreList.IsListedByPgRestore), e => e.IsSpecial);
    }

    [Fact]
    public async Task Entries_carry_every_field()
    {
        using var source = ArchiveSources.Open(new ArchiveLocation(_archives.CustomFile));
        var archive = await ArchiveReader.ReadAsync(source);

        var table = archive.Entries.Single(e => e.Type == "TABLE" && e.Schema == "app" && e.Name == "customer");
        Assert.Equal(TocSection.PreData, table.Section);
        Assert.Equal("postgres", table.Owner);
        Assert.Equal("heap", table.TableAccessMethod);
        Assert.Contains("CREATE TABLE app.customer", table.Definition);
        Assert.Contains("DROP TABLE app.customer", table.DropStatement);
        Assert.Null(table.RelKind); // recorded from archive 1.16 on only
        Assert.NotEqual(0u, table.Oid);
        Assert.Equal(1259u, table.TableOid); // pg_class

        var data = archive.Entries.Single(e => e.Type == "TABLE DATA" && e.Schema == "app" && e.Name == "customer");
        Assert.Equal(TocSection.Data, data.Section);
        Assert.True(data.HadDumper);
        Assert.StartsWith("COPY app.customer (id, email, name, mood, note) FROM stdin;", data.CopyStatement);
        Assert.Contains(table.DumpId, data.Dependencies);
        Assert.Equal(DataState.Offset, data.DataState);
        Assert.True(data.DataOffset > archive.TocEndOffset - 1, "data blocks follow the TOC");

        var pk = archive.Entries.Single(e => e.Type == "CONSTRAINT" && e.Name == "customer customer_pkey");
        Assert.Equal(TocSection.PostData, pk.Section);
        Assert.Contains("PRIMARY KEY (id)", pk.Definition);

        var attach = archive.Entries.Where(e => e.Type == "INDEX ATTACH").ToList();
        Assert.NotEmpty(attach);
        Assert.All(attach, a => Assert.NotEmpty(a.Dependencies));
    }

    [Fact]
    public async Task Pipe_written_archive_has_no_data_offsets_and_file_written_one_does()
    {
        using var piped = ArchiveSources.Open(new ArchiveLocation(_archives.CustomPipe));
        using var seekable = ArchiveSources.Open(new ArchiveLocation(_archives.CustomFile));
        var fromPipe = await ArchiveReader.ReadAsync(piped);
        var fromFile = await ArchiveReader.ReadAsync(seekable);

        var pipeData = fromPipe.Entries.Where(e => e.HadDumper).ToList();
        Assert.NotEmpty(pipeData);
        Assert.All(pipeData, e => Assert.Equal(DataState.OffsetNotSet, e.DataState));
        Assert.All(fromFile.Entries.Where(e => e.HadDumper), e => Assert.Equal(DataState.Offset, e.DataState));
        Assert.All(fromFile.Entries.Where(e => !e.HadDumper), e => Assert.Equal(DataState.None, e.DataState));
    }

    [Fact]
    public async Task Directory_and_tar_entries_name_their_data_files()
    {
        using var dir = ArchiveSources.Open(new ArchiveLocation(_archives.Directory));
        var archive = await ArchiveReader.ReadAsync(dir);
        var data = archive.Entries.Single(e => e.Type == "TABLE DATA" && e.Name == "customer");
        Assert.Equal(DataState.File, data.DataState);
        Assert.Equal($"{data.DumpId}.dat", data.DataFile);
        Assert.True(File.Exists(Path.Combine(_archives.Directory, data.DataFile + ".gz")));

        using var tar = ArchiveSources.Open(new ArchiveLocation(_archives.Tar));
        var tarArchive = await ArchiveReader.ReadAsync(tar);
        Assert.Equal($"{data.DumpId}.dat", tarArchive.Entries.Single(e => e.DumpId == data.DumpId).DataFile);
    }

    [Fact]
    public async Task Reading_the_toc_reads_only_the_front_of_a_large_file()
    {
        using var source = ArchiveSources.Open(new ArchiveLocation(_archives.CustomUncompressed));
        var archive = await ArchiveReader.ReadAsync(source);
        Assert.True(source.BytesTransferred < archive.TocEndOffset + 128 * 1024,
            $"read {source.BytesTransferred} bytes for a TOC ending at {archive.TocEndOffset}");
    }
}
