using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Storage;
using PgPhaseRestore.Engine.Swap;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.Engine.Verification;

namespace PgPhaseRestore.Engine.Tests.Swap;

/// <summary>Row counts read from the archive itself, and the setting values a swap carries, against the server's own.</summary>
[Collection(ServicesCollection.Name)]
public sealed class ArchiveRowCountsTests : IClassFixture<SwapFixture>
{
    private readonly SwapFixture _f;

    public ArchiveRowCountsTests(SwapFixture fixture) => _f = fixture;

    [Fact]
    public async Task Every_table_counts_in_the_archive_as_many_rows_as_its_source_holds()
    {
        var archive = await ArchiveReader.ReadAsync(new ArchiveLocation(_f.DumpPath));
        var tables = archive.Entries.Where(e => e.Type == "TABLE DATA").ToList();
        var counts = await ArchiveRowCounts.CountAsync(archive, tables, null, new S3Settings(), CancellationToken.None);
        Assert.Equal(tables.Count, counts.Count);
        foreach (var t in tables)
        {
            var expected = _f.Cluster.Scalar<long>(_f.Source, $"SELECT count(*) FROM ONLY {PgPhaseRestore.Engine.Connections.SqlText.Qualified(t.Schema, t.Name!)}");
            Assert.True(expected == counts[t.DumpId], $"{t.QualifiedName}: {counts[t.DumpId]} rows in the archive, {expected} in the source");
        }
        // Names with semicolons and spaces are matched, not guessed by position.
        Assert.Equal(2, counts[tables.Single(t => t.Name == "table with; semicolons").DumpId]);
        Assert.Equal(3000 * 2, counts[tables.Single(t => t.Name == "order_line").DumpId]);
    }

    [Theory]
    [InlineData("search_path=\"$user\", public, app", "search_path = '$user', 'public', 'app'")]
    [InlineData("search_path=\"a \"\"quoted\"\" one\",b", "search_path = 'a \"quoted\" one', 'b'")]
    [InlineData("work_mem=7MB", "work_mem = '7MB'")]
    [InlineData("statement_timeout=0", "statement_timeout = '0'")]
    [InlineData("app.tenant=it's", "\"app\".\"tenant\" = 'it''s'")]
    public void Settings_are_written_back_as_pg_dumpall_writes_them(string stored, string clause) =>
        Assert.Equal(clause, DatabaseCarry.SetClause(stored));

    [Fact]
    public void A_list_setting_round_trips_through_the_server()
    {
        var db = _f.CreateOwned("guc", "SELECT 1");
        _f.Cluster.Execute("postgres", $"ALTER DATABASE {db} SET search_path = \"$user\", public, \"odd, schema\"");
        var stored = _f.Cluster.Scalar<string>("postgres", $"SELECT s.setconfig[1] FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = '{db}'")!;
        var copy = _f.CreateOwned("guc", "SELECT 1");
        _f.Cluster.Execute("postgres", $"ALTER DATABASE {copy} SET {DatabaseCarry.SetClause(stored)}");
        Assert.Equal(_f.Outside(db).Settings, _f.Outside(copy).Settings);
    }
}
