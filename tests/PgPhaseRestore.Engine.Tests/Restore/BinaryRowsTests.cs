using System.Text;
using Npgsql;
using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Processes;
using PgPhaseRestore.Engine.Restore;
using PgPhaseRestore.Engine.Restore.DataLoad;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Restore;

/// <summary>
/// Rows converted from COPY text to COPY binary in this process are the bytes PostgreSQL itself sends for the same
/// rows, for every type converted, at the edges of each type and under time zones with odd offsets; and a value the
/// converter does not know loads the table as text, with PostgreSQL's own input functions.
/// </summary>
[Collection(ServicesCollection.Name)]
public sealed class BinaryRowsTests : IDisposable
{
    private readonly PostgresCluster _pg;
    private readonly string _db;

    public BinaryRowsTests(Services services)
    {
        _pg = services.Postgres;
        _db = _pg.CreateDatabase("binrows");
        _pg.Execute(_db, """
            CREATE TABLE edge (b boolean, i2 smallint, i4 integer, i8 bigint, f8 double precision, t text, v varchar(5),
                               d date, ts timestamp, tz timestamptz, u uuid);
            INSERT INTO edge VALUES
              (true, -32768, -2147483648, -9223372036854775808, 0, '', 'abcde', '2000-01-01', '2000-01-01 00:00:00', '2000-01-01 00:00:00+00', '00000000-0000-0000-0000-000000000000'),
              (false, 32767, 2147483647, 9223372036854775807, '-0', E'tab\there', 'x', '1999-12-31', '1999-12-31 23:59:59.999999', '1999-12-31 23:59:59.999999+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
              (NULL, 0, 0, 0, 'NaN', E'new\nline and \\ back\\slash', '', '4713-11-24 BC', '4713-11-24 00:00:00 BC', '4713-11-25 00:00:00+00 BC', NULL),
              (true, -1, -1, -1, 'Infinity', 'unicode ✓ ü 𝄞', NULL, '5874897-12-31', '294276-12-31 23:59:59.999999', '294276-12-30 23:59:59.999999+00', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
              (false, 1, 1, 1, '-Infinity', E'\x01\x7f control \r cr', 'ab', 'infinity', 'infinity', 'infinity', NULL),
              (NULL, NULL, NULL, NULL, '4.9e-324', '\N', NULL, '-infinity', '-infinity', '-infinity', NULL),
              (true, 7, 7, 7, '1.7976931348623157e308', NULL, NULL, '2024-02-29', '2024-02-29 12:00:00.5', '1850-06-01 12:00:00 Europe/Amsterdam', NULL),
              (true, 7, 7, 7, '0.1', 'x', 'y', '0001-01-01', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00', NULL),
              (true, 7, 7, 7, '123456789.123456789', 'x', 'y', '0001-12-31 BC', '0001-12-31 23:00:00 BC', '1901-12-13 20:45:52.000001+00', NULL),
              (true, 7, 7, 7, '-2.2250738585072014e-308', 'x', 'y', '1970-01-01', '1970-01-01 00:00:00.000001', '1970-01-01 00:00:00+00', NULL),
              (true, 7, 7, 7, '2.225073858507201e-308', 'x', 'y', '2038-01-19', '2038-01-19 03:14:08', '2038-01-19 03:14:08.123+00', NULL);
            INSERT INTO edge (f8, t, tz) SELECT random() * 10 ^ (random() * 40 - 20), md5(g::text), '2024-01-01'::timestamptz + g * interval '7 minutes 3.3 seconds' FROM generate_series(1, 2000) g;
            """);
    }

    public void Dispose() => _pg.DropDatabase(_db);

    [Theory]
    [InlineData("UTC")]
    [InlineData("Asia/Kolkata")]
    [InlineData("America/St_Johns")]
    [InlineData("Europe/Amsterdam")]
    [InlineData("Pacific/Chatham")]
    public async Task Every_converted_type_gives_the_bytes_PostgreSQL_sends_for_the_same_rows(string timeZone)
    {
        await using var conn = _pg.Open(_db);
        await using (var set = new NpgsqlCommand($"SET TimeZone = '{timeZone}'; SET DateStyle = ISO; SET extra_float_digits = 3", conn))
            await set.ExecuteNonQueryAsync();
        string text;
        using (var export = await conn.BeginTextExportAsync("COPY edge TO STDOUT"))
            text = await export.ReadToEndAsync();
        var expected = new MemoryStream();
        await using (var export = await conn.BeginRawBinaryCopyAsync("COPY edge TO STDOUT (FORMAT binary)"))
            await export.CopyToAsync(expected);

        var (rows, why) = await BinaryCopy.PrepareAsync(conn, "COPY public.edge (b, i2, i4, i8, f8, t, v, d, ts, tz, u) FROM stdin;", default);
        Assert.True(rows is not null, why);
        var output = new byte[16];
        long row = 1;
        int length = rows.Convert(Encoding.UTF8.GetBytes(text), ref output, 0, ref row);
        Assert.Equal(2012, row);
        var converted = BinaryRows.Header.ToArray().Concat(output.Take(length)).Concat(BinaryRows.Trailer.ToArray()).ToArray();
        Assert.Equal(expected.ToArray(), converted);
    }

    [Theory]
    [InlineData("007", "leading zero")]
    [InlineData("+5", "plus sign")]
    [InlineData(" 5", "space")]
    [InlineData("-0", "minus zero")]
    [InlineData("99999999999", "out of range")]
    public void An_integer_not_as_PostgreSQL_prints_one_is_not_converted(string value, string why)
    {
        var rows = new BinaryRows([BinaryField.Int4]);
        var output = new byte[16];
        long row = 1;
        var ex = Assert.Throws<PgPhaseException>(() => rows.Convert(Encoding.UTF8.GetBytes(value + "\n"), ref output, 0, ref row));
        Assert.Contains("row 1, column 1", ex.Message);
        Assert.True(why.Length > 0);
    }

    [Theory]
    [InlineData("2024-01-01 00:00:00+05:00")]
    [InlineData("2024-01-01T00:00:00+00")]
    [InlineData("2024-13-01 00:00:00+00")]
    [InlineData("2023-02-29 00:00:00+00")]
    [InlineData("2024-01-01 00:00:00.1234567+00")]
    [InlineData("2024-01-01 00:00:00 UTC")]
    [InlineData("0000-01-01 00:00:00+00")]
    [InlineData("Mon Jan 01 00:00:00 2024 UTC")]
    public void A_timestamp_not_in_the_ISO_form_PostgreSQL_prints_is_not_converted(string value)
    {
        var rows = new BinaryRows([BinaryField.TimestampTz]);
        var output = new byte[16];
        long row = 1;
        Assert.Throws<PgPhaseException>(() => rows.Convert(Encoding.UTF8.GetBytes(value + "\n"), ref output, 0, ref row));
    }

    [Fact]
    public async Task A_value_the_converter_does_not_know_loads_the_table_again_as_text()
    {
        _pg.Execute(_db, "CREATE TABLE odd (a integer, b text, c timestamptz)");
        // Rows PostgreSQL reads, though it never prints them so: the load starts binary and ends as text.
        var text = new StringBuilder();
        for (int i = 0; i < 20_000; i++)
            text.Append(i).Append("\trow ").Append(i).Append("\t2024-01-01 00:00:00+00\n");
        text.Append("+0077\twritten by hand\t2024-01-01 05:30:00+05:30\n");
        text.Append("\\.\n");
        var debug = await LoadAsync("odd", "(a, b, c)", text.ToString());
        Assert.Contains(debug, l => l.Contains("rows sent as COPY binary", StringComparison.Ordinal));
        Assert.Contains(debug, l => l.Contains("row 20001, column 1 (Int4): \"+0077\" is not a form this converter knows; loading it again as COPY text", StringComparison.Ordinal));
        Assert.Equal(20_001, _pg.Scalar<long>(_db, "SELECT count(*) FROM odd"));
        Assert.Equal("written by hand", _pg.Scalar<string>(_db, "SELECT b FROM odd WHERE a = 77 AND c = '2024-01-01 00:00:00+00' AND b <> 'row 77'"));
    }

    [Fact]
    public async Task A_table_with_a_type_not_converted_loads_as_text()
    {
        _pg.Execute(_db, "CREATE DOMAIN positive AS integer CHECK (VALUE > 0); CREATE TABLE other (a numeric, p positive)");
        var debug = await LoadAsync("other", "(a, p)", "1.50\t3\n\\.\n");
        Assert.Contains(debug, l => l.Contains("rows sent as COPY text (column a has a type (oid 1700) its rows are not converted for)", StringComparison.Ordinal));
        Assert.Equal("1.50", _pg.Scalar<string>(_db, "SELECT a::text FROM other"));
    }

    private async Task<List<string>> LoadAsync(string table, string columns, string rows)
    {
        var entry = TableDataEntry.For("public", table, columns);
        var debug = new List<string>();
        var loader = new SplitTableLoader(new RestoreOptions { Target = _pg.ConnectionTo(_db) },
            new PgTool("pg_restore", _pg.ClientTool("pg_restore"), 0, "pg_restore"), l => { lock (debug) debug.Add(l); });
        await loader.LoadRowsAsync(entry, () => new MemoryStream(Encoding.UTF8.GetBytes(rows)), "rows", 1, null, default);
        return debug;
    }
}
