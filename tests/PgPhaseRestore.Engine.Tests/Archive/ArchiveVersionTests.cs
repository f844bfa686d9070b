using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;

namespace PgPhaseRestore.Engine.Tests.Archive;

/// <summary>Archive versions pg_dump 15 cannot write, built byte by byte from the documented layout.</summary>
public sealed class ArchiveVersionTests : IDisposable
{
    private readonly TempDir _dir = new();

    private async Task<DumpArchive> ReadAsync(CraftedArchive crafted, string name = "crafted.dump")
    {
        var path = _dir.File(name);
        await File.WriteAllBytesAsync(path, crafted.ToBytes());
        using var source = ArchiveSources.Open(new ArchiveLocation(path));
        return await ArchiveReader.ReadAsync(source);
    }

    public static TheoryData<byte> Minors => new() { 12, 13, 14, 15, 16 };

    [Theory]
    [MemberData(nameof(Minors))]
    public async Task Every_supported_version_reads_header_and_entries(byte minor)
    {
        var version = new ArchiveVersion(1, minor, 0);
        var archive = await ReadAsync(CraftedArchive.Typical(version));

        Assert.Equal(version, archive.Version);
        Assert.Equal("crafted", archive.DatabaseName);
        Assert.Equal("16.4", archive.Header.ServerVersion);
        Assert.Equal(new DateTime(2026, 11, 21, 12, 15, 30), archive.Header.CreatedAt);
        Assert.Equal([1, 2, 3, 10, 20, 30, 40, 50], archive.Entries.Select(e => e.DumpId));

        var table = archive.FindByDumpId(20)!;
        Assert.Equal("café", table.Name);
        Assert.Equal("app", table.Schema);
        Assert.Equal([10], table.Dependencies);
        Assert.Equal(minor >= 14 ? "heap" : null, table.TableAccessMethod);
        Assert.Equal(minor >= 16 ? 'r' : null, table.RelKind);

        var data = archive.FindByDumpId(30)!;
        Assert.Equal(DataState.Offset, data.DataState);
        Assert.Equal(4096, data.DataOffset);
        Assert.Equal(TocSection.Data, data.Section);
        Assert.Equal(TocSection.None, archive.FindByDumpId(50)!.Section);
    }

    [Fact]
    public async Task Version_1_15_reads_the_compression_algorithm_byte()
    {
        var archive = await ReadAsync(CraftedArchive.Typical(ArchiveVersion.V1_15, CompressionAlgorithm.Zstd));
        Assert.Equal(CompressionAlgorithm.Zstd, archive.Header.Compression);
        Assert.Null(archive.Header.CompressionLevel);
        Assert.Contains(";     Compression: zstd", RestoreList.FormatHeader(archive, TimeZoneInfo.Utc));
    }

    [Fact]
    public async Task Version_1_14_reads_the_zlib_level()
    {
        var crafted = new CraftedArchive { Version = ArchiveVersion.V1_14, CompressionLevel = 0 };
        var archive = await ReadAsync(crafted);
        Assert.Equal(CompressionAlgorithm.None, archive.Header.Compression);
        Assert.Equal(0, archive.Header.CompressionLevel);
        Assert.Empty(archive.Entries);
    }

    [Fact]
    public async Task Version_1_16_relkind_of_a_partitioned_table()
    {
        var crafted = new CraftedArchive { Version = ArchiveVersion.V1_16 };
        crafted.Entries.Add(new(5, "TABLE", "public", "measurements", TocSection.PreData, "CREATE TABLE ...;", RelKind: 'p', TableAm: "heap"));
        var archive = await ReadAsync(crafted);
        Assert.Equal('p', archive.Entries.Single().RelKind);
    }

    [Fact]
    public async Task Listing_skips_specials_and_keeps_non_utf8_safe_names()
    {
        var archive = await ReadAsync(CraftedArchive.Typical(ArchiveVersion.V1_16));
        var lines = RestoreList.Format(archive).Split('\n').Where(l => l.Length > 0 && !l.StartsWith(';')).ToArray();
        Assert.Equal(
        [
            "10; 2615 16385 SCHEMA - app postgres",
            "20; 1259 16386 TABLE app café postgres",
            "30; 0 0 TABLE DATA app café postgres",
            "40; 2606 16390 CONSTRAINT app café café_pkey postgres",
            "50; 0 0 COMMENT app CONSTRAINT café_pkey ON café postgres",
        ], lines);
    }

    [Fact]
    public async Task Eight_byte_integers_are_read()
    {
        var crafted = CraftedArchive.Typical(ArchiveVersion.V1_14);
        var wide = new CraftedArchive { Version = ArchiveVersion.V1_14, IntSize = 8 };
        wide.Entries.AddRange(crafted.Entries);
        var archive = await ReadAsync(wide);
        Assert.Equal(8, archive.Header.IntSize);
        Assert.Equal(8, archive.Entries.Count);
    }

    public void Dispose() => _dir.Dispose();
}
