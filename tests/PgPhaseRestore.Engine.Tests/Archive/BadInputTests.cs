using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;

namespace PgPhaseRestore.Engine.Tests.Archive;

/// <summary>Every bad input gets one clear error naming the source and, for damaged data, the offset and entry.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    private async Task<Exception> ReadFailureAsync(byte[] bytes, string name = "bad.dump")
    {
        var path = _dir.File(name);
        await File.WriteAllBytesAsync(path, bytes);
        return await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var source = ArchiveSources.Open(new ArchiveLocation(path));
            await ArchiveReader.ReadAsync(source);
        });
    }

    private string PathOf(string name) => _dir.File(name);

    [Fact]
    public async Task Plain_sql_is_not_an_archive()
    {
        var ex = await ReadFailureAsync("--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n"u8.ToArray(), "plain.sql");
        var fmt = Assert.IsType<PgPhaseException>(ex);
        Assert.Equal($"{PathOf("plain.sql")}: not a pg_dump archive: no \"PGDMP\" signature and no tar header for toc.dat (plain SQL dumps are read by psql, not pg_restore) (at byte offset 0)", fmt.Message);
    }

    [Fact]
    public async Task Empty_file()
    {
        var ex = await ReadFailureAsync([], "empty.dump");
        Assert.Equal($"{PathOf("empty.dump")}: not a pg_dump archive: the file is empty (at byte offset 0)", Assert.IsType<PgPhaseException>(ex).Message);
    }

    [Fact]
    public async Task Truncated_header_names_the_field_and_offset()
    {
        var full = CraftedArchive.Typical(ArchiveVersion.V1_14).ToBytes();
        var ex = Assert.IsType<PgPhaseException>(await ReadFailureAsync(full[..20], "short.dump"));
        // 5 magic + 3 version + 3 sizes/format + 5 compression level = 16; the creation second Int starts there.
        Assert.Equal($"{PathOf("short.dump")}: archive is truncated: creation second needs 5 bytes, only 4 remain while reading header (at byte offset 16)", ex.Message);
        Assert.Equal(16, ex.Offset);
    }

    [Fact]
    public async Task Truncated_toc_names_the_entry_being_read()
    {
        var crafted = CraftedArchive.Typical(ArchiveVersion.V1_14);
        var full = crafted.ToBytes();
        // Cut inside the definition of the table entry (dump id 20).
        var cut = IndexOf(full, "CREATE TABLE app"u8) + 6;
        var ex = Assert.IsType<PgPhaseException>(await ReadFailureAsync(full[..cut], "cut.dump"));
        Assert.Contains(PathOf("cut.dump"), ex.Message);
        Assert.Contains("archive is truncated: definition needs", ex.Message);
        Assert.Contains("while reading TOC entry 5 of 8 (dump id 20, TABLE café)", ex.Message);
        Assert.Equal(IndexOf(full, "CREATE TABLE app"u8), ex.Offset);
    }

    [Fact]
    public async Task Newer_archive_version_is_refused_with_the_supported_range()
    {
        var bytes = CraftedArchive.Typical(ArchiveVersion.V1_16).ToBytes();
        bytes[6] = 17;
        var ex = Assert.IsType<PgPhaseException>(await ReadFailureAsync(bytes, "future.dump"));
        Assert.Equal($"{PathOf("future.dump")}: archive version 1.17-0 is newer than the newest supported (1.16-0, pg_dump 17 and 18); use a newer PgPhaseRestore while reading header (at byte offset 5)", ex.Message);
    }

    [Fact]
    public async Task Archive_older_than_1_12_is_refused()
    {
        var bytes = CraftedArchive.Typical(ArchiveVersion.V1_12).ToBytes();
        bytes[6] = 10;
        var ex = Assert.IsType<PgPhaseException>(await ReadFailureAsync(bytes));
        Assert.Contains("archive version 1.10-0 is older than the oldest supported (1.12-0", ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(200)]
    public async Task Odd_integer_size_is_refused(byte size)
    {
        var bytes = CraftedArchive.Typical(ArchiveVersion.V1_14).ToBytes();
        bytes[8] = size;
        var ex = Assert.IsType<PgPhaseException>(await ReadFailureAsync(bytes));
        Assert.Contains($"integer size {size} is not supported (pg_dump writes 4; 1 to 8 can be read)", ex.Message);
        Assert.Equal(8, ex.Offset);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    public async Task Odd_offset_size_is_refused(byte size)
    {
        var bytes = CraftedArchive.Typical(ArchiveVersion.V1_14).ToBytes();
        bytes[9] = size;
        var ex = Assert.IsType<PgPhaseException>(await ReadFailureAsync(bytes));
        Assert.Contains($"offset size {size} is not supported", ex.Message);
        Assert.Equal(9, ex.Offset);
    }

    [Fact]
    public async Task Damaged_sign_byte_names_the_field()
    {
        var bytes = CraftedArchive.Typical(ArchiveVersion.V1_14).ToBytes();
        int at = IndexOf(bytes, "CREATE SCHEMA app"u8) - 5; // the definition's length Int
        bytes[at] = 7;
        var ex = Assert.IsType<PgPhaseException>(await ReadFailureAsync(bytes));
        Assert.Contains("definition length has sign byte 7, expected 0 or 1 (damaged data) while reading TOC entry 4 of 8 (dump id 10, SCHEMA app)", ex.Message);
        Assert.Equal(at, ex.Offset);
    }

    [Fact]
    public async Task Impossible_string_length_is_reported_before_allocating()
    {
        var bytes = CraftedArchive.Typical(ArchiveVersion.V1_14).ToBytes();
        int at = IndexOf(bytes, "CREATE SCHEMA app"u8) - 4;
        bytes[at + 3] = 0x7f; // length ~2 GB
        var ex = Assert.IsType<PgPhaseException>(await ReadFailureAsync(bytes));
        Assert.Contains("definition has impossible length", ex.Message);
    }

    [Fact]
    public async Task Wrong_format_code_is_refused()
    {
        var bytes = CraftedArchive.Typical(ArchiveVersion.V1_14).ToBytes();
        bytes[10] = 9;
        var ex = Assert.IsType<PgPhaseException>(await ReadFailureAsync(bytes));
        Assert.Contains("format code 9 does not match a custom archive", ex.Message);
    }

    [Fact]
    public void Directory_without_toc_dat()
    {
        var dir = Directory.CreateDirectory(_dir.File("not-an-archive")).FullName;
        File.WriteAllText(Path.Combine(dir, "3341.dat"), "1\t2\n");
        var ex = Assert.Throws<PgPhaseException>(() => ArchiveSources.Open(new ArchiveLocation(dir)));
        Assert.Equal($"{dir}: directory has no toc.dat, so it is not a pg_dump directory-format archive", ex.Message);
        // Not an archive, as a file of garbage is not one: InvalidData for the cmdlets, not a failure to write.
        Assert.Equal(PgPhaseErrorKind.DamagedArchive, ex.Kind);
    }

    [Fact]
    public void Missing_file()
    {
        var path = _dir.File("nowhere.dump");
        var ex = Assert.Throws<PgPhaseException>(() => ArchiveSources.Open(new ArchiveLocation(path)));
        Assert.Equal($"{path}: no such file", ex.Message);
    }

    [Fact]
    public async Task Damaged_toc_dat_in_a_directory_names_toc_dat()
    {
        var dir = Directory.CreateDirectory(_dir.File("damaged-dir")).FullName;
        var crafted = new CraftedArchive { FormatByte = 3 };
        await File.WriteAllBytesAsync(Path.Combine(dir, "toc.dat"), crafted.ToBytes()[..12]);
        var ex = await Assert.ThrowsAsync<PgPhaseException>(async () =>
        {
            using var source = ArchiveSources.Open(new ArchiveLocation(dir));
            await ArchiveReader.ReadAsync(source);
        });
        Assert.StartsWith(Path.Combine(dir, "toc.dat") + ": archive is truncated", ex.Message);
    }

    private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);

    public void Dispose() => _dir.Dispose();
}
