using PgPhaseRestore.Engine.Tests.Archive;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Cli;

[Collection(ServicesCollection.Name)]
public sealed class TocCommandTests : IClassFixture<PgRestoreListParityTests.Fixture>, IDisposable
{
    private readonly SampleArchives _archives;
    private readonly TempDir _dir = new();

    public TocCommandTests(PgRestoreListParityTests.Fixture fixture) => _archives = fixture.Archives;

    private static string[] EntryLines(string listing) =>
        listing.Split('\n').Where(l => l.Length > 0 && !l.StartsWith(';')).ToArray();

    [Fact]
    public void List_prints_the_lines_of_pg_restore_l()
    {
        foreach (var path in _archives.All)
        {
            var r = PgPhaseCli.Run("toc", path, "--list");
            Assert.True(r.ExitCode == 0, r.StdErr);
            Assert.Equal(EntryLines(PgDump.List(_archives.Cluster, path)), EntryLines(r.StdOut));
        }
    }

    [Fact]
    public void List_output_is_a_valid_list_file_for_pg_restore()
    {
        var r = PgPhaseCli.Run("toc", _archives.CustomFile, "--list");
        var listFile = _dir.File("all.list");
        File.WriteAllText(listFile, r.StdOut);
        // pg_restore accepts it and, restoring to a script, emits every table of the archive.
        var script = ChildProcess.RunChecked(_archives.Cluster.ClientTool("pg_restore"), ["-L", listFile, "-f", "-", _archives.CustomFile], TimeSpan.FromMinutes(2)).StdOut;
        Assert.Contains("CREATE TABLE app.customer", script);
        Assert.Contains("COPY app.customer", script);
    }

    [Fact]
    public void Summary_and_json_show_the_header()
    {
        var summary = PgPhaseCli.Run("toc", _archives.Directory);
        Assert.Equal(0, summary.ExitCode);
        Assert.Contains($"Database:     {_archives.Database}", summary.StdOut);
        Assert.Contains("Format:       Directory (archive 1.14-0)", summary.StdOut);

        var json = PgPhaseCli.Run("toc", _archives.Tar, "--json");
        Assert.Equal(0, json.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(json.StdOut);
        Assert.Equal("Tar", doc.RootElement.GetProperty("Header").GetProperty("Format").GetString());
        Assert.True(doc.RootElement.GetProperty("Entries").GetArrayLength() > 60);
    }

    [Fact]
    public void Bad_input_prints_one_clear_line_and_fails()
    {
        var path = _dir.File("plain.sql");
        File.WriteAllText(path, "SELECT 1;\n");
        var r = PgPhaseCli.Run("toc", path, "--list");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"pgphase: {path}: not a pg_dump archive: no \"PGDMP\" signature and no tar header for toc.dat (plain SQL dumps are read by psql, not pg_restore) (at byte offset 0)\n", r.StdErr);
        Assert.Equal("", r.StdOut);
    }

    public void Dispose() => _dir.Dispose();
}
