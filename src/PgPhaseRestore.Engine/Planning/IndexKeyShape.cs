using System.Text.RegularExpressions;
using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// What one tuple of a btree index holds, from the TOC alone: its key (and INCLUDE) columns with their types, from
/// the CREATE INDEX or constraint definition and the table's CREATE TABLE. An expression counts the columns it
/// names (all of the row when it names none) as a value of unknown type. A partial index is counted as if it held
/// every row.
/// </summary>
internal sealed partial class IndexKeyShape
{
    /// <summary>One value of the tuple: the table columns it is made from and how it is stored.</summary>
    public sealed record Part(IReadOnlyList<string> Columns, ColumnType? Type)
    {
        /// <summary>A column alone, ascending with nulls last, with its type's own operator class and collation.</summary>
        public bool Plain { get; init; }
    }

    private IndexKeyShape(IReadOnlyList<Part> parts, int keyParts) => (Parts, KeyParts) = (parts, keyParts);

    /// <summary>The key's values, then the INCLUDE columns'.</summary>
    public IReadOnlyList<Part> Parts { get; }

    /// <summary>How many of <see cref="Parts"/> are the key's (the sort compares those; INCLUDE columns come after them).</summary>
    public int KeyParts { get; }

    /// <summary>The smallest tuple the key can make: its fixed-width columns, aligned, and a byte per other value.</summary>
    public long SmallestTuple()
    {
        long offset = SortMemory.TupleHeader;
        foreach (var p in Parts)
            offset = p.Type is { Kind: ColumnType.Width.Fixed } t ? SortMemory.Align(offset, t.Alignment) + t.FixedWidth!.Value : offset + 1;
        return offset;
    }

    /// <summary>The shape of the index an entry of <paramref name="archive"/> builds, on the table it depends on; null when not understood.</summary>
    internal static IndexKeyShape? Of(DumpArchive archive, TocEntry index) =>
        AutoIndexPlanner.TableOf(archive, index) is { } table ? Of(index, table) : null;

    /// <summary>The shape of the index <paramref name="index"/> builds on <paramref name="table"/>, or null when its definition is not understood.</summary>
    public static IndexKeyShape? Of(TocEntry index, TocEntry table)
    {
        var columns = TableColumns(table.Definition ?? "");
        var definition = index.Definition ?? "";
        var key = index.Type == "CONSTRAINT" ? KeyOfConstraint().Match(definition) : KeyOfIndex().Match(definition);
        if (!key.Success || columns.Count == 0)
            return null;
        int open = key.Index + key.Length - 1;
        var list = Parenthesized(definition, open);
        if (list is null)
            return null;
        var items = SplitTopLevel(list);
        int keyParts = items.Count;
        int after = open + list.Length + 2;
        if (Include().Match(definition, after) is { Success: true } include && include.Index == after && Parenthesized(definition, include.Index + include.Length - 1) is { } included)
            items.AddRange(SplitTopLevel(included));

        var parts = new List<Part>();
        foreach (var item in items)
        {
            var column = LeadingIdentifier(item);
            if (column is not null && columns.TryGetValue(column.Value.Name, out var type) && OnlyOptionsFollow(item[column.Value.Length..]))
            {
                parts.Add(new Part([column.Value.Name], type) { Plain = item[column.Value.Length..].Trim().Length == 0 });
                continue;
            }
            var named = columns.Keys.Where(c => Regex.IsMatch(item, $@"(?<![\w""]){Regex.Escape(Quote(c))}(?![\w""])")).ToList();
            parts.Add(new Part(named.Count > 0 ? named : [.. columns.Keys], null));
        }
        return new IndexKeyShape(parts, keyParts);
    }

    /// <summary>Column name to type, from "CREATE TABLE x (\n    col type NOT NULL,\n ...)"; empty for a partition or a table it cannot read.</summary>
    public static Dictionary<string, ColumnType> TableColumns(string createTable)
    {
        var columns = new Dictionary<string, ColumnType>(StringComparer.Ordinal);
        int open = createTable.IndexOf('(', StringComparison.Ordinal);
        if (open < 0 || Parenthesized(createTable, open) is not { } body)
            return columns;
        foreach (var item in SplitTopLevel(body))
        {
            if (TableConstraint().IsMatch(item) || LeadingIdentifier(item) is not { } name)
                continue;
            var rest = item[name.Length..];
            var type = ColumnOptions().Match(rest) is { Success: true } m ? rest[..m.Index] : rest;
            if (type.Trim().Length > 0)
                columns[name.Name] = ColumnType.Parse(type);
        }
        return columns;
    }

    /// <summary>The text inside the parentheses opening at <paramref name="open"/>, quotes and nesting respected; null when unbalanced.</summary>
    private static string? Parenthesized(string text, int open)
    {
        int depth = 0;
        bool quoted = false, literal = false;
        for (int i = open; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '"' && !literal)
                quoted = !quoted;
            else if (c == '\'' && !quoted)
                literal = !literal;
            else if (!quoted && !literal && c == '(')
                depth++;
            else if (!quoted && !literal && c == ')' && --depth == 0)
                return text[(open + 1)..i];
        }
        return null;
    }

    /// <summary>Splits at commas outside parentheses and quotes.</summary>
    internal static List<string> SplitTopLevel(string list)
    {
        var items = new List<string>();
        int depth = 0, start = 0;
        bool quoted = false, literal = false;
        for (int i = 0; i < list.Length; i++)
        {
            char c = list[i];
            if (c == '"' && !literal)
                quoted = !quoted;
            else if (c == '\'' && !quoted)
                literal = !literal;
            else if (!quoted && !literal && c == '(')
                depth++;
            else if (!quoted && !literal && c == ')')
                depth--;
            else if (!quoted && !literal && depth == 0 && c == ',')
            {
                items.Add(list[start..i].Trim());
                start = i + 1;
            }
        }
        items.Add(list[start..].Trim());
        return items.Where(i => i.Length > 0).ToList();
    }

    /// <summary>A leading identifier, "quoted" or plain, with the length of its text.</summary>
    internal static (string Name, int Length)? LeadingIdentifier(string item)
    {
        item = item.TrimStart();
        if (item.StartsWith('"'))
        {
            int i = 1;
            var name = new System.Text.StringBuilder();
            while (i < item.Length)
            {
                if (item[i] == '"' && i + 1 < item.Length && item[i + 1] == '"')
                    (name, i) = (name.Append('"'), i + 2);
                else if (item[i] == '"')
                    return (name.ToString(), i + 1);
                else
                    (name, i) = (name.Append(item[i]), i + 1);
            }
            return null;
        }
        var plain = PlainIdentifier().Match(item);
        return plain.Success ? (plain.Value, plain.Length) : null;
    }

    private static bool OnlyOptionsFollow(string rest) => rest.Length == 0 || char.IsWhiteSpace(rest[0]) && !rest.Contains('(', StringComparison.Ordinal);

    private static string Quote(string name) => PlainIdentifier().Match(name).Length == name.Length ? name : $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    [GeneratedRegex(@" USING (?:btree|""btree"") \(")]
    private static partial Regex KeyOfIndex();

    [GeneratedRegex(@"\b(PRIMARY KEY|UNIQUE( NULLS (NOT )?DISTINCT)?) \(")]
    private static partial Regex KeyOfConstraint();

    [GeneratedRegex(@"\s*INCLUDE \(")]
    private static partial Regex Include();

    [GeneratedRegex(@"^(CONSTRAINT|CHECK|PRIMARY KEY|UNIQUE|FOREIGN KEY|EXCLUDE|LIKE)\b")]
    private static partial Regex TableConstraint();

    [GeneratedRegex(@"\s+(COLLATE|NOT NULL|NULL|DEFAULT|GENERATED|CONSTRAINT|CHECK|REFERENCES|UNIQUE|PRIMARY KEY)\b")]
    private static partial Regex ColumnOptions();

    [GeneratedRegex(@"^[a-z_][a-z0-9_$]*")]
    private static partial Regex PlainIdentifier();
}
