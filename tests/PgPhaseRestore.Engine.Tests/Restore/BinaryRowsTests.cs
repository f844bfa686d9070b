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

    /// <summary>Values PostgreSQL reads (or refuses) but never prints so: never converted, whatever the converter would make of them.</summary>
    [Theory]
    [InlineData("Int4", "007")]
    [InlineData("Int4", "+5")]
    [InlineData("Int4", " 5")]
    [InlineData("Int4", "-0")]
    [InlineData("Int4", "99999999999")]
    [InlineData("Int8", "9223372036854775808")]
    [InlineData("Float8", "1e-400")]
    [InlineData("Float8", "1e400")]
    [InlineData("Float8", "1E5")]
    [InlineData("Float8", ".5")]
    [InlineData("Float8", "nan")]
    [InlineData("Uuid", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")]
    [InlineData("Uuid", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}")]
    [InlineData("Bool", "true")]
    [InlineData("Text", "\\x41")]
    [InlineData("Text", "\\101")]
    [InlineData("Text", "a\\.b")]
    [InlineData("Text", "trailing\\")]
    [InlineData("Date", "5881611-01-01")]
    [InlineData("Date", "9999999-12-31 BC")]
    [InlineData("Date", "4714-11-23 BC")]
    [InlineData("Timestamp", "600000-01-01 00:00:00")]
    [InlineData("Timestamp", "294277-01-01 00:00:00")]
    [InlineData("TimestampTz", "4714-11-23 23:00:00+00 BC")]
    public void A_value_not_as_PostgreSQL_prints_it_is_not_converted(string type, string value)
    {
        var field = Enum.Parse<BinaryField>(type);
        var rows = new BinaryRows([field]);
        var output = new byte[16];
        long row = 1;
        var ex = Assert.Throws<PgPhaseException>(() => rows.Convert(Encoding.UTF8.GetBytes(value + "\n"), ref output, 0, ref row));
        Assert.Equal($"row 1, column 1 ({field}): a value not in a form this converter knows", ex.Message);
    }

    [Theory]
    [InlineData("1\t2\t3\n")]
    [InlineData("1\n")]
    public void A_row_with_another_number_of_fields_is_not_converted(string line)
    {
        var rows = new BinaryRows([BinaryField.Int4, BinaryField.Int4]);
        var output = new byte[16];
        long row = 5;
        var ex = Assert.Throws<PgPhaseException>(() => rows.Convert(Encoding.UTF8.GetBytes(line), ref output, 0, ref row));
        Assert.Equal("row 5: not 2 fields", ex.Message);
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
        Assert.Contains(debug, l => l.Contains("row 20001, column 1 (Int4): a value not in a form this converter knows; loading it again as COPY text", StringComparison.Ordinal));
        Assert.Equal(20_001, _pg.Scalar<long>(_db, "SELECT count(*) FROM odd"));
        Assert.Equal("written by hand", _pg.Scalar<string>(_db, "SELECT b FROM odd WHERE a = 77 AND c = '2024-01-01 00:00:00+00' AND b <> 'row 77'"));
    }

    [Theory]
    [InlineData("numeric", "1.50", "numeric")]
    [InlineData("positive", "3", "a domain over integer")]
    [InlineData("integer[]", "{1,2}", "an array of integer")]
    public async Task A_table_with_a_column_of_a_type_not_converted_loads_as_text(string type, string value, string what)
    {
        var table = "other_" + Guid.NewGuid().ToString("N")[..8];
        _pg.Execute(_db, $"DO $$ BEGIN CREATE DOMAIN positive AS integer CHECK (VALUE > 0); EXCEPTION WHEN duplicate_object THEN NULL; END $$; CREATE TABLE {table} (i integer, a {type})");
        var debug = await LoadAsync(table, "(i, a)", $"1\t{value}\n\\.\n");
        Assert.Contains(debug, l => l.Contains("rows sent as COPY text (column a has a type (oid ", StringComparison.Ordinal));
        Assert.Equal(value, _pg.Scalar<string>(_db, $"SELECT a::text FROM {table}"));
        Assert.True(what.Length > 0);
    }

    /// <summary>
    /// A table named with " (" inside its quotes, and a generated column named like the word after it: the COPY's own
    /// column list is read, never a name inside the table's, and a generated column is never a COPY column.
    /// </summary>
    [Fact]
    public async Task The_copy_columns_are_read_after_a_quoted_table_name_and_generated_columns_are_never_taken()
    {
        _pg.Execute(_db, "CREATE TABLE \"t (x\" (a float8, x int8 GENERATED ALWAYS AS (a::int8) STORED)");
        var entry = TableDataEntry.For("public", "t (x", "(a)");
        var debug = new List<string>();
        var loader = new SplitTableLoader(new RestoreOptions { Target = _pg.ConnectionTo(_db) },
            new PgTool("pg_restore", _pg.ClientTool("pg_restore"), 0, "pg_restore"), l => { lock (debug) debug.Add(l); });
        await loader.LoadRowsAsync(entry, () => new MemoryStream(Encoding.UTF8.GetBytes("3\n2.5\n\\.\n")), "rows", 1, null, default);
        Assert.Contains(debug, l => l.Contains("rows sent as COPY binary", StringComparison.Ordinal));
        Assert.Equal("3 3|2.5 2", _pg.Scalar<string>(_db, "SELECT string_agg(a || ' ' || x, '|' ORDER BY a DESC) FROM \"t (x\""));
    }

    /// <summary>A refusal while two sessions load one table: neither commits, and the text load holds every row once.</summary>
    [Fact]
    public async Task A_value_refused_while_two_sessions_load_the_table_loads_it_once_as_text()
    {
        _pg.Execute(_db, "CREATE TABLE split_odd (a integer PRIMARY KEY, b text)");
        var text = new StringBuilder();
        for (int i = 0; i < 60_000; i++)
            text.Append(i).Append("\trow ").Append(i).Append('\n');
        text.Append("+60000\tby hand\n\\.\n");
        var debug = await LoadAsync("split_odd", "(a, b)", text.ToString(), sessions: 2);
        Assert.Contains(debug, l => l.Contains("loading it again as COPY text", StringComparison.Ordinal));
        Assert.Equal(60_001, _pg.Scalar<long>(_db, "SELECT count(*) FROM split_odd"));
    }

    private async Task<List<string>> LoadAsync(string table, string columns, string rows, int sessions = 1)
    {
        var entry = TableDataEntry.For("public", table, columns);
        var debug = new List<string>();
        var loader = new SplitTableLoader(new RestoreOptions { Target = _pg.ConnectionTo(_db) },
            new PgTool("pg_restore", _pg.ClientTool("pg_restore"), 0, "pg_restore"), l => { lock (debug) debug.Add(l); });
        await loader.LoadRowsAsync(entry, () => new MemoryStream(Encoding.UTF8.GetBytes(rows)), "rows", sessions, null, default);
        return debug;
    }
}
