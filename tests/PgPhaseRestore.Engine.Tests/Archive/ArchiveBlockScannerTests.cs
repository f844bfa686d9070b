using PgPhaseRestore.Engine.Storage;
using System.Security.Cryptography;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Archive;

/// <summary>The block scanner over real pg_dump output: its map against the offsets pg_dump itself wrote, and against pg_restore.</summary>
[Collection(ServicesCollection.Name)]
public sealed class ArchiveBlockScannerTests : IClassFixture<ArchiveBlockScannerTests.Fixture>, IDisposable
{
    public sealed class Fixture(Services services) : IDisposable
    {
        public SampleArchives Archives { get; } = new(services);
        public void Dispose() => Archives.Dispose();
    }

    private readonly SampleArchives _archives;
    private readonly TempDir _dir = new("pgphase-scan-");

    public ArchiveBlockScannerTests(Fixture fixture) => _archives = fixture.Archives;

    /// <summary>The scanner shown a file in pieces of random sizes, as a pipe delivers it.</summary>
    private static (ArchiveBlockMap? Map, ArchiveBlockScanner Scanner) Scan(byte[] bytes, int seed = 7)
    {
        var scanner = new ArchiveBlockScanner();
        var random = new Random(seed);
        for (int at = 0; at < bytes.Length;)
        {
            int n = Math.Min(bytes.Length - at, random.Next(1, 70_000));
            scanner.Append(bytes.AsSpan(at, n));
            at += n;
        }
        return (scanner.Finish(), scanner);
    }

    private static string Sha(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    [Theory]
    [InlineData("custom")]
    [InlineData("uncompressed")]
    public async Task On_a_file_pg_dump_wrote_with_offsets_the_map_has_exactly_the_offsets_of_its_TOC(string format)
    {
        var path = format == "custom" ? _archives.CustomFile : _archives.CustomUncompressed;
        var bytes = await File.ReadAllBytesAsync(path);
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(path));

        var (map, scanner) = Scan(bytes);

        Assert.True(map is not null, scanner.Problem);
        Assert.Equal(archive.TocEndOffset, map!.TocEnd);
        Assert.Equal(Sha(bytes.AsSpan(0, (int)map.TocEnd)), map.TocSha256);
        var withOffsets = archive.Entries.Where(e => e.DataState == DataState.Offset).ToDictionary(e => e.DumpId, e => e.DataOffset!.Value);
        Assert.Equal(withOffsets.OrderBy(kv => kv.Value), map.Blocks.Select(b => KeyValuePair.Create(b.DumpId, b.Offset)));
        foreach (var block in map.Blocks)
            Assert.Equal(Sha(bytes.AsSpan((int)block.Offset, (int)block.Length)), block.Sha256);
        Assert.Null(map.Mismatch(archive, bytes.Length));

        // Large objects, and a table without rows, have blocks of their own.
        Assert.Contains(map.Blocks, b => archive.FindByDumpId(b.DumpId)!.Type == "BLOBS");
        var empty = archive.Entries.Single(e => e.Type == "TABLE DATA" && e.Name == "audit_log");
        Assert.Equal(0L, _archives.Cluster.Scalar<long>(_archives.Database, "SELECT count(*) FROM app.audit_log"));
        Assert.Contains(map.Blocks, b => b.DumpId == empty.DumpId);
    }

    [Fact]
    public async Task On_a_piped_dump_the_TOC_and_one_block_are_an_archive_pg_restore_reads_from_standard_input()
    {
        var bytes = await File.ReadAllBytesAsync(_archives.CustomPipe);
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(_archives.CustomPipe));
        Assert.All(archive.Entries.Where(e => e.Type == "TABLE DATA"), e => Assert.Equal(DataState.OffsetNotSet, e.DataState));
        var (map, scanner) = Scan(bytes, seed: 11);
        Assert.True(map is not null, scanner.Problem);
        Assert.Null(map!.Mismatch(archive, bytes.Length));

        // One table: the TOC and its block alone, piped in, give the same rows as the whole archive.
        var customer = archive.Entries.Single(e => e.Type == "TABLE DATA" && e.Name == "customer");
        Assert.Equal(Restored(_archives.CustomPipe, [customer]), RestoredFromPipe(bytes, map, [customer]));

        // The other data entries together, their blocks in file order.
        var others = archive.Entries.Where(e => e.Type is "SEQUENCE SET" or "BLOBS").ToList();
        var script = RestoredFromPipe(bytes, map, others);
        Assert.Equal(Restored(_archives.CustomPipe, others), script);
        Assert.Contains("lowrite", script);
        Assert.Contains("setval", script);
    }

    /// <summary>pg_restore's script for some entries, from the whole archive file.</summary>
    private string Restored(string archivePath, IReadOnlyList<TocEntry> entries)
    {
        var list = ListFile(entries);
        return Comparable(ChildProcess.RunChecked(_archives.Cluster.ClientTool("pg_restore"), ["-L", list, "-f", "-", archivePath], TimeSpan.FromMinutes(2)).StdOut);
    }

    /// <summary>pg_restore's script for some entries, fed on standard input the TOC and only their blocks.</summary>
    private string RestoredFromPipe(byte[] bytes, ArchiveBlockMap map, IReadOnlyList<TocEntry> entries)
    {
        var feed = _dir.File($"feed-{Guid.NewGuid():N}");
        using (var file = File.Create(feed))
        {
            file.Write(bytes, 0, (int)map.TocEnd);
            foreach (var block in map.Blocks.Where(b => entries.Any(e => e.DumpId == b.DumpId)).OrderBy(b => b.Offset))
                file.Write(bytes, (int)block.Offset, (int)block.Length);
        }
        var command = $"cat '{feed}' | '{_archives.Cluster.ClientTool("pg_restore")}' -L '{ListFile(entries)}' -f -";
        return Comparable(ChildProcess.RunChecked("/bin/bash", ["-o", "pipefail", "-c", command], TimeSpan.FromMinutes(2)).StdOut);
    }

    private string ListFile(IReadOnlyList<TocEntry> entries)
    {
        var list = _dir.File($"list-{Guid.NewGuid():N}");
        File.WriteAllLines(list, entries.Select(RestoreList.FormatLine));
        return list;
    }

    // pg_restore 15.14+ brackets its script with a random \restrict key.
    private static string Comparable(string script) =>
        string.Join('\n', script.Split('\n').Where(l => !l.StartsWith("\\restrict ", StringComparison.Ordinal) && !l.StartsWith("\\unrestrict ", StringComparison.Ordinal)));

    [Fact]
    public async Task Damaged_or_cut_input_gives_no_map_and_says_why_without_throwing()
    {
        var bytes = await File.ReadAllBytesAsync(_archives.CustomPipe);
        var (map, _) = Scan(bytes);
        var block = map!.Blocks[map.Blocks.Count / 2];

        // Cut in the middle of a block.
        var (cut, cutScanner) = Scan(bytes[..(int)(block.Offset + block.Length / 2)]);
        Assert.Null(cut);
        Assert.Contains("ended", cutScanner.Problem);

        // A block type pg_dump never writes.
        var badType = bytes.ToArray();
        badType[block.Offset] = 9;
        var (typed, typeScanner) = Scan(badType);
        Assert.Null(typed);
        Assert.Contains("block type 9", typeScanner.Problem);

        // Bytes after the last block.
        var (trailing, trailingScanner) = Scan([.. bytes, 7, 1, 2, 3]);
        Assert.Null(trailing);
        Assert.NotNull(trailingScanner.Problem);

        // Not an archive at all, and nothing at all.
        var (noise, noiseScanner) = Scan(RandomNumberGenerator.GetBytes(100_000));
        Assert.Null(noise);
        Assert.Contains("PGDMP", noiseScanner.Problem);
        Assert.Null(new ArchiveBlockScanner().Finish());
    }

    [Fact]
    public async Task The_map_survives_the_manifest_round_trip_and_an_older_manifest_reads_without_one()
    {
        var (map, _) = Scan(await File.ReadAllBytesAsync(_archives.CustomPipe));
        var manifest = new BackupManifest { Location = "s3://b/k.dump", Database = "db", DataBlocks = map };

        var json = ManifestStore.Serialize(manifest);
        Assert.Contains("\"dataBlocks\"", json);
        var read = ManifestStore.Parse(json, "test");
        Assert.Equal(map!.TocEnd, read.DataBlocks!.TocEnd);
        Assert.Equal(map.TocSha256, read.DataBlocks.TocSha256);
        Assert.Equal(map.Blocks, read.DataBlocks.Blocks);

        // A manifest written before the map existed has no such field at all.
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
        node.Remove("dataBlocks");
        var older = ManifestStore.Parse(node.ToJsonString(), "test");
        Assert.Null(older.DataBlocks);
        Assert.Equal("db", older.Database);
    }

    public void Dispose() => _dir.Dispose();
}
