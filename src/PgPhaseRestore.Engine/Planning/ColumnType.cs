namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// How wide a column's value is inside an index tuple, from its type as pg_dump writes it in CREATE TABLE and the
/// length of its COPY text. Fixed-width types are exact; variable-width ones are bounded from their text, on the
/// large side (COPY's escapes only lengthen the text).
/// </summary>
internal sealed record ColumnType(string Name, int? FixedWidth, int Alignment, ColumnType.Width Kind)
{
    public enum Width
    {
        Fixed,
        /// <summary>Stored as its text: text, varchar, char(n), bytea (whose COPY text is longer than its bytes).</summary>
        Text,
        /// <summary>numeric: a short value's binary form is a few bytes longer than its text.</summary>
        Numeric,
        /// <summary>Anything else (arrays, ranges, json, domains, user types): twice its text plus a header.</summary>
        Unknown,
    }

    private static readonly Dictionary<string, (int Width, int Align)> FixedTypes = new(StringComparer.Ordinal)
    {
        ["boolean"] = (1, 1), ["smallint"] = (2, 2), ["integer"] = (4, 4), ["bigint"] = (8, 8), ["real"] = (4, 4),
        ["double precision"] = (8, 8), ["date"] = (4, 4), ["timestamp without time zone"] = (8, 8), ["timestamp with time zone"] = (8, 8),
        ["time without time zone"] = (8, 8), ["time with time zone"] = (12, 8), ["interval"] = (16, 8), ["uuid"] = (16, 1),
        ["oid"] = (4, 4), ["money"] = (8, 8), ["\"char\""] = (1, 1), ["name"] = (64, 1), ["macaddr"] = (6, 4), ["macaddr8"] = (8, 4),
    };

    private static readonly HashSet<string> TextTypes = new(StringComparer.Ordinal)
    {
        "text", "character varying", "varchar", "character", "char", "bpchar", "bytea", "citext",
    };

    /// <summary>The type named as in pg_dump's CREATE TABLE ("character varying(20)", "pg_catalog.int4", "integer[]").</summary>
    public static ColumnType Parse(string sqlType)
    {
        var name = sqlType.Trim().ToLowerInvariant();
        if (name.StartsWith("pg_catalog.", StringComparison.Ordinal))
            name = name["pg_catalog.".Length..];
        if (name.EndsWith(']'))
            return new(name, null, 8, Width.Unknown);
        int paren = name.IndexOf('(', StringComparison.Ordinal);
        var bare = paren < 0 ? name : (name[..paren] + name[(name.IndexOf(')', paren) + 1)..]).Trim();
        bare = bare switch { "int4" or "int" => "integer", "int8" => "bigint", "int2" => "smallint", "bool" => "boolean", "float8" => "double precision",
            "float4" => "real", "timestamptz" => "timestamp with time zone", "timestamp" => "timestamp without time zone", "time" => "time without time zone",
            "timetz" => "time with time zone", "decimal" => "numeric", _ => bare };
        if (FixedTypes.TryGetValue(bare, out var f))
            return new(bare, f.Width, f.Align, Width.Fixed);
        if (TextTypes.Contains(bare))
            return new(bare, null, 4, Width.Text);
        return bare == "numeric" ? new(bare, null, 4, Width.Numeric) : new(bare, null, 8, Width.Unknown);
    }

    /// <summary>The bytes a value whose COPY text is <paramref name="textLength"/> bytes long takes in a tuple, and its alignment there.</summary>
    public (long Bytes, int Align) InTuple(long textLength) => Kind switch
    {
        Width.Fixed => (FixedWidth!.Value, Alignment),
        // A short varlena (1-byte header, unaligned) up to 126 bytes, else a 4-byte header aligned to 4.
        Width.Text => textLength <= 126 ? (textLength + 1, 1) : (textLength + 4, 4),
        Width.Numeric => (textLength + 8, 4),
        _ => Unknown(textLength),
    };

    /// <summary>A value of unknown type, or an expression over values with this much text.</summary>
    public static (long Bytes, int Align) Unknown(long textLength) => (2 * textLength + 24, 8);
}
