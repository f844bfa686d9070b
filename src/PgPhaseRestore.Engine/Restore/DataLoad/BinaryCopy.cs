using Npgsql;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>The column types whose text <see cref="BinaryRows"/> turns into COPY binary, by their built-in type OID.</summary>
internal enum BinaryField
{
    Bool = 16,
    Int8 = 20,
    Int2 = 21,
    Int4 = 23,
    Text = 25,
    Float8 = 701,
    Varchar = 1043,
    Date = 1082,
    Timestamp = 1114,
    TimestampTz = 1184,
    Uuid = 2950,
}

/// <summary>
/// Whether a table's rows may go to the server as COPY binary (<see cref="BinaryRows"/>): every column the COPY names
/// has one of the built-in types of <see cref="BinaryField"/> (a domain, an array or any other type keeps the table in
/// text), and the session's encoding is the database's, UTF-8, so a text value's bytes need no conversion.
/// </summary>
internal static class BinaryCopy
{
    /// <summary>The converter for <paramref name="copy"/>'s columns, or null with the reason the rows stay text.</summary>
    public static async Task<(BinaryRows? Rows, string? Why)> PrepareAsync(NpgsqlConnection conn, string copy, CancellationToken ct)
    {
        if (FrozenLoad.TargetOf(copy) is not { } target || Planning.CopyRowMeter.CopyColumns(copy) is not { Count: > 0 } columns)
            return (null, "its COPY statement names no columns");
        await using var command = new NpgsqlCommand("""
            SELECT CASE WHEN pg_catalog.current_setting('server_encoding') <> 'UTF8' OR pg_catalog.current_setting('client_encoding') <> 'UTF8'
                        THEN -1 ELSE coalesce(a.atttypid::int, 0) END
            FROM unnest($2::text[]) WITH ORDINALITY AS c(name, n)
            LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = $1::regclass AND a.attname = c.name AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
            ORDER BY c.n
            """, conn) { Parameters = { new() { Value = target }, new() { Value = columns.ToArray() } } };
        var types = new List<int>();
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                types.Add(reader.GetInt32(0));
        if (types.Contains(-1))
            return (null, "the session's or the database's encoding is not UTF-8");
        var fields = new List<BinaryField>();
        for (int i = 0; i < types.Count; i++)
        {
            if (!Enum.IsDefined((BinaryField)types[i]))
                return (null, $"column {columns[i]} has a type (oid {types[i]}) its rows are not converted for");
            fields.Add((BinaryField)types[i] == BinaryField.Varchar ? BinaryField.Text : (BinaryField)types[i]);
        }
        return (new BinaryRows(fields), null);
    }

    /// <summary>pg_dump's <c>COPY t (cols) FROM stdin;</c> as this load sends it: binary or text, frozen or not.</summary>
    public static string Statement(string copy, bool binary, bool frozen)
    {
        var options = (binary ? "FORMAT binary" : "") + (binary && frozen ? ", " : "") + (frozen ? "FREEZE" : "");
        return copy.TrimEnd().TrimEnd(';') + (options.Length > 0 ? $" WITH ({options})" : "");
    }
}
