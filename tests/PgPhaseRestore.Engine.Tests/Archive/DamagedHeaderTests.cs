using System.Text;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Tests.Rigs;

namespace PgPhaseRestore.Engine.Tests.Archive;

/// <summary>
/// Damage to the bytes that identify an archive (the tar header of toc.dat, the custom header's version) is
/// reported as damage at its offset, not as "not an archive" or "newer than this reader".
/// </summary>
public sealed class DamagedHeaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    private async Task<PgPhaseException> RefusedAsync(byte[] bytes, string name)
    {
        var path = _dir.File(name);
        await File.WriteAllBytesAsync(path, bytes);
        return await Assert.ThrowsAsync<PgPhaseException>(() => ArchiveReader.ReadAsync(new ArchiveLocation(path)));
    }

    // ---- tar: toc.dat's header as pg_dump writes it (pg_backup_tar.c, tarCreateHeader) ----

    private static byte[] TarHeader(string name, string sizeField, string magic = "ustar", bool fixChecksum = true)
    {
        var h = new byte[512];
        Encoding.ASCII.GetBytes(name).CopyTo(h, 0);
        Encoding.ASCII.GetBytes("0000600 ").CopyTo(h, 100);
        Encoding.ASCII.GetBytes("0000000 ").CopyTo(h, 108);
        Encoding.ASCII.GetBytes("0000000 ").CopyTo(h, 116);
        Encoding.ASCII.GetBytes(sizeField).CopyTo(h, 124);
        Encoding.ASCII.GetBytes("15000000000 ").CopyTo(h, 136);
        h[156] = (byte)'0';
        Encoding.ASCII.GetBytes(magic).CopyTo(h, 257);
        Encoding.ASCII.GetBytes("00").CopyTo(h, 263);
        if (fixChecksum)
            SetChecksum(h);
        return h;
    }

    private static void SetChecksum(byte[] h)
    {
        long sum = 0;
        for (int i = 0; i < 512; i++)
            sum += i is >= 148 and < 156 ? ' ' : h[i];
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(7, '0') + " ").CopyTo(h, 148);
    }

    private static byte[] Tar(byte[] header, byte[] toc)
    {
        var padded = new byte[(toc.Length + 511) / 512 * 512];
        toc.CopyTo(padded, 0);
        return [.. header, .. padded, .. new byte[1024]];
    }

    private static byte[] TarToc()
    {
        var crafted = new CraftedArchive { FormatByte = (byte)ArchiveFormat.Tar };
        crafted.Entries.AddRange(CraftedArchive.Typical(ArchiveVersion.V1_14).Entries);
        return crafted.ToBytes();
    }

    private static string OctalSize(int size) => Convert.ToString(size, 8).PadLeft(11, '0') + " ";

    [Fact]
    public async Task The_crafted_tar_header_is_valid()
    {
        var toc = TarToc();
        var path = _dir.File("good.tar");
        await File.WriteAllBytesAsync(path, Tar(TarHeader("toc.dat", OctalSize(toc.Length)), toc));
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(path));
        Assert.Equal(ArchiveFormat.Tar, archive.Header.Format);
        Assert.Equal(8, archive.Entries.Count);
        Assert.Equal("30.dat", archive.FindByDumpId(30)!.DataFile);
    }

    [Fact]
    public async Task A_base_256_size_as_pg_dump_writes_for_large_members_is_read()
    {
        var toc = TarToc();
        var header = TarHeader("toc.dat", OctalSize(toc.Length));
        Array.Clear(header, 124, 12);
        header[124] = 0x80;
        header[134] = (byte)(toc.Length >> 8);
        header[135] = (byte)toc.Length;
        SetChecksum(header);
        var path = _dir.File("base256.tar");
        await File.WriteAllBytesAsync(path, Tar(header, toc));
        Assert.Equal(8, (await ArchiveReader.ReadAsync(new ArchiveLocation(path))).Entries.Count);
    }

    [Fact]
    public async Task A_damaged_size_digit_fails_the_checksum_at_its_offset()
    {
        var toc = TarToc();
        var header = TarHeader("toc.dat", OctalSize(toc.Length));
        header[124 + 8] = (byte)'x';
        var ex = await RefusedAsync(Tar(header, toc), "size.tar");
        Assert.Equal(148, ex.Offset);
        Assert.Matches(@"^.*size\.tar: damaged tar header for ""toc\.dat"": checksum \d+ does not match the header's bytes \(\d+\) \(at byte offset 148\)$", ex.Message);
    }

    [Fact]
    public async Task A_damaged_checksum_field_is_reported_as_such()
    {
        var toc = TarToc();
        var header = TarHeader("toc.dat", OctalSize(toc.Length));
        header[150] = (byte)'?';
        var ex = await RefusedAsync(Tar(header, toc), "checksum.tar");
        Assert.Equal(148, ex.Offset);
        Assert.Contains("damaged tar header for \"toc.dat\": checksum \"0", ex.Message);
    }

    [Fact]
    public async Task A_size_field_that_is_not_a_number_names_the_field()
    {
        var toc = TarToc();
        var ex = await RefusedAsync(Tar(TarHeader("toc.dat", "0000x123456 "), toc), "notnumber.tar");
        Assert.Equal($"{_dir.File("notnumber.tar")}: damaged tar header for toc.dat: size field \"0000x123456\" is not a number (at byte offset 124)", ex.Message);
    }

    [Fact]
    public async Task A_damaged_ustar_signature_under_toc_dat_is_damage_not_a_foreign_file()
    {
        var toc = TarToc();
        var ex = await RefusedAsync(Tar(TarHeader("toc.dat", OctalSize(toc.Length), magic: "usTa\u0001"), toc), "magic.tar");
        Assert.Equal($"{_dir.File("magic.tar")}: damaged tar header: the first member is named toc.dat but the ustar signature reads \"usTa?\" (at byte offset 257)", ex.Message);
    }

    [Fact]
    public async Task A_tar_of_something_else_says_what_it_holds()
    {
        var ex = await RefusedAsync(Tar(TarHeader("README.md", OctalSize(5)), "hello"u8.ToArray()), "other.tar");
        Assert.Equal($"{_dir.File("other.tar")}: not a pg_dump tar archive: its first member is \"README.md\", not toc.dat (at byte offset 0)", ex.Message);
    }

    // ---- custom: the version bytes (offsets 5, 6, 7) ----

    [Theory]
    [InlineData(17)]
    [InlineData(18)]
    public async Task A_plausible_newer_version_is_reported_as_newer(byte minor)
    {
        var bytes = CraftedArchive.Typical(ArchiveVersion.V1_16).ToBytes();
        bytes[6] = minor;
        var ex = await RefusedAsync(bytes, "newer.dump");
        Assert.Equal($"{_dir.File("newer.dump")}: archive version 1.{minor}-0 is newer than the newest supported (1.16-0, pg_dump 17 and 18); use a newer PgPhaseRestore while reading header (at byte offset 5)", ex.Message);
    }

    [Theory]
    [InlineData(5, 9, "9.16-0", "major", 9)]
    [InlineData(5, 0, "0.16-0", "major", 0)]
    [InlineData(5, 129, "129.16-0", "major", 129)]
    [InlineData(6, 99, "1.99-0", "minor", 99)]
    [InlineData(6, 25, "1.25-0", "minor", 25)]
    [InlineData(7, 200, "1.16-200", "revision", 200)]
    public async Task An_impossible_version_byte_is_a_damaged_header_at_its_offset(int offset, byte value, string version, string field, int shown)
    {
        var bytes = CraftedArchive.Typical(ArchiveVersion.V1_16).ToBytes();
        bytes[offset] = value;
        var ex = await RefusedAsync(bytes, "flipped.dump");
        Assert.Equal(offset, ex.Offset);
        Assert.Equal($"{_dir.File("flipped.dump")}: damaged header: archive version {version} was never written by pg_dump and is not a plausible future one " +
                     $"(its {field} byte is {shown}; pg_dump writes 1.x-0 and adds one minor version per release at most) while reading header (at byte offset {offset})", ex.Message);
        Assert.DoesNotContain("newer", ex.Message);
    }

    [Fact]
    public async Task The_newest_plausible_minor_is_still_newer_not_damaged()
    {
        var bytes = CraftedArchive.Typical(ArchiveVersion.V1_16).ToBytes();
        bytes[6] = 24;
        var ex = await RefusedAsync(bytes, "edge.dump");
        Assert.Contains("archive version 1.24-0 is newer than the newest supported", ex.Message);
    }

    public void Dispose() => _dir.Dispose();
}
