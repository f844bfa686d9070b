using System.Text;
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

    [Theory]
    [InlineData("UTC")]
    [InlineData("Europe/Berlin")]
    public void List_prints_what_pg_restore_l_prints_in_the_local_zone(string zone)
    {
        // pgphase and pg_restore both started with TZ set: the header's creation time is read in that local zone.
        foreach (var path in _archives.All)
        {
            var r = PgPhaseCli.Run(new Dictionary<string, string?> { ["TZ"] = zone }, "toc", path, "--list");
            Assert.True(r.ExitCode == 0, r.StdErr);
            Assert.Equal(Encoding.UTF8.GetString(PgDump.ListBytes(_archives.Cluster, path, zone)), r.StdOut);
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

    [Fact]
    public void Only_the_command_named_first_is_built_and_any_other_first_word_builds_them_all()
    {
        var all = PgPhaseRestore.Cli.Program.BuildRoot().Subcommands.Select(c => c.Name).ToList();
        Assert.Contains("toc", all);
        Assert.True(all.Count > 5, string.Join(", ", all));
        foreach (var name in all)
            Assert.Equal([name], PgPhaseRestore.Cli.Program.BuildRoot(name).Subcommands.Select(c => c.Name));
        Assert.Equal(all, PgPhaseRestore.Cli.Program.BuildRoot("--version").Subcommands.Select(c => c.Name));
        Assert.Equal(all, PgPhaseRestore.Cli.Program.BuildRoot("restor").Subcommands.Select(c => c.Name));
    }

    [Fact]
    public void Listing_a_local_archive_loads_neither_the_AWS_SDK_nor_Npgsql()
    {
        // The runtime's loader events name every assembly the process loads: a loop over many archives should not
        // pay for the S3 and database clients it does not use.
        var trace = _dir.File("loads.nettrace");
        var r = PgPhaseCli.Run(new Dictionary<string, string?>
        {
            ["DOTNET_EnableEventPipe"] = "1", ["DOTNET_EventPipeOutputPath"] = trace,
            ["DOTNET_EventPipeConfig"] = "Microsoft-Windows-DotNETRuntime:0x8:4",
        }, "toc", _archives.CustomFile, "--list");
        Assert.True(r.ExitCode == 0, r.StdErr);
        var events = File.ReadAllBytes(trace);
        bool Loaded(string assembly) => events.AsSpan().IndexOf(System.Text.Encoding.Unicode.GetBytes(assembly + ",")) >= 0;
        Assert.True(Loaded("PgPhaseRestore.Engine"), "the trace names the assemblies loaded");
        Assert.False(Loaded("AWSSDK.Core"));
        Assert.False(Loaded("Npgsql"));
    }

    public void Dispose() => _dir.Dispose();
}
