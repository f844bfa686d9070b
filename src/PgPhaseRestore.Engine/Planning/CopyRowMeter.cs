using PgPhaseRestore.Engine.Archive;
using System.Runtime.CompilerServices;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// Measures a table's COPY text as it streams by: rows, bytes, and for each index the sort memory its tuples
/// take (<see cref="SortMemory.PerTuple"/>), each tuple sized from the text of the fields it is made of. A key of
/// fixed-width columns alone makes tuples of one size, counted as if no value were null (a null takes no room): the
/// rows are all it needs, so only the fields of the other keys are cut out of each row. It also watches whether the
/// rows come in the order of each key's first column (<see cref="KeyOrderWatch"/>), until they do not.
/// </summary>
internal sealed class CopyRowMeter
{
    private readonly (int[] Fields, ColumnType? Type)[][] _indexes;
    private readonly long[] _tupleMemory;
    private readonly long[] _fixedTuple;
    private readonly int[] _variable;
    private readonly int _lastField;
    private readonly int[] _fieldStarts;
    private readonly int[] _fieldLengths;
    private readonly KeyOrderWatch[] _orders;
    private readonly int[] _orderOf;
    private int _fields;
    private int _cut;
    private byte[] _carry = new byte[4096];
    private int _carried;
    private bool _ended;

    /// <summary>A meter of a table's data entry for <paramref name="shapes"/>, or null when its COPY statement's column list cannot be read.</summary>
    /// <param name="data">The table's data entry.</param>
    /// <param name="shapes">The indexes to measure.</param>
    /// <param name="watchOrder">Also watch whether the rows come in each key's order (<see cref="InKeyOrder"/>).</param>
    public static CopyRowMeter? For(TocEntry data, IReadOnlyList<IndexKeyShape> shapes, bool watchOrder) =>
        CopyColumns(data.CopyStatement) is { } columns ? new CopyRowMeter(columns, shapes, watchOrder) : null;

    /// <param name="copyColumns">The columns in the order of the COPY text.</param>
    /// <param name="shapes">The indexes to measure.</param>
    /// <param name="watchOrder">Also watch whether the rows come in each key's order.</param>
    private CopyRowMeter(IReadOnlyList<string> copyColumns, IReadOnlyList<IndexKeyShape> shapes, bool watchOrder)
    {
        var field = copyColumns.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        // A column missing from the COPY list (generated) is taken as the whole row: wide enough.
        var all = Enumerable.Range(0, copyColumns.Count).ToArray();
        _indexes = shapes.Select(s => s.Parts.Select(p =>
        {
            var fields = p.Columns.Select(c => field.GetValueOrDefault(c, -1)).ToArray();
            return fields.Contains(-1) ? (all, null) : (fields, p.Type);
        }).ToArray()).ToArray();
        _tupleMemory = new long[shapes.Count];
        _fixedTuple = _indexes.Select(FixedTuple).ToArray();
        _variable = Enumerable.Range(0, _indexes.Length).Where(x => _fixedTuple[x] < 0).ToArray();
        _lastField = _variable.SelectMany(x => _indexes[x]).SelectMany(p => p.Fields).DefaultIfEmpty(-1).Max();
        // One watch per first key column (and strictness: ties break a key of several columns), shared by the indexes that start with it.
        var watches = new List<KeyOrderWatch>();
        var watchOf = new Dictionary<(int, bool), int>();
        _orderOf = shapes.Select(s =>
        {
            if (!watchOrder || s.Parts is not [{ Columns: [var column], Type: { } type, Plain: true }, ..] || !field.TryGetValue(column, out int f))
                return -1;
            var key = (f, s.KeyParts > 1);
            if (!watchOf.TryGetValue(key, out int at))
            {
                watchOf[key] = at = watches.Count;
                watches.Add(new KeyOrderWatch(f, type, key.Item2));
            }
            return at;
        }).ToArray();
        _orders = [.. watches];
        _cut = Cut();
        _fieldStarts = new int[_cut + 1];
        _fieldLengths = new int[_cut + 1];
    }

    // The last field a row is cut up to: the last one a variable-width key or a watch still in order reads.
    private int Cut() => Math.Max(_lastField, _orders.Where(o => o.InOrder).Select(o => o.Field).DefaultIfEmpty(-1).Max());

    /// <summary>The sort memory of each tuple of a key made of fixed-width columns alone, or -1.</summary>
    private static long FixedTuple((int[] Fields, ColumnType? Type)[] parts)
    {
        long offset = SortMemory.TupleHeader;
        foreach (var (_, type) in parts)
        {
            if (type is not { Kind: ColumnType.Width.Fixed })
                return -1;
            offset = SortMemory.Align(offset, type.Alignment) + type.FixedWidth!.Value;
        }
        return SortMemory.PerTuple(offset);
    }

    public long Rows { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>Per index (in the order given), the memory its sort's tuples take.</summary>
    public IReadOnlyList<long> TupleMemory
    {
        get
        {
            for (int x = 0; x < _fixedTuple.Length; x++)
                if (_fixedTuple[x] >= 0)
                    _tupleMemory[x] = _fixedTuple[x] * Rows;
            return _tupleMemory;
        }
    }

    /// <summary>Whether the rows so far came in the order of the first key column of index <paramref name="index"/> (in the order given).</summary>
    public bool InKeyOrder(int index) => Rows > 0 && _orderOf[index] >= 0 && _orders[_orderOf[index]].InOrder;

    /// <summary>Takes the next bytes of the COPY text.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Feed(ReadOnlySpan<byte> data)
    {
        Bytes += data.Length;
        while (!_ended && data.Length > 0)
        {
            int nl = data.IndexOf((byte)'\n');
            if (nl < 0)
            {
                Carry(data);
                return;
            }
            if (_carried > 0)
            {
                Carry(data[..nl]);
                Row(_carry.AsSpan(0, _carried));
                _carried = 0;
            }
            else
            {
                Row(data[..nl]);
            }
            data = data[(nl + 1)..];
        }
    }

    private void Carry(ReadOnlySpan<byte> data)
    {
        if (_carried + data.Length > _carry.Length)
            Array.Resize(ref _carry, Math.Max(_carry.Length * 2, _carried + data.Length));
        data.CopyTo(_carry.AsSpan(_carried));
        _carried += data.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Row(ReadOnlySpan<byte> line)
    {
        if (line.SequenceEqual("\\."u8))
        {
            _ended = true;
            return;
        }
        Rows++;
        if (_cut < 0)
            return;
        // Only the fields up to the last one a variable-width key or a watched order reads are cut out; a vectorized
        // search finds each tab.
        _fields = 0;
        int start = 0;
        while (_fields <= _cut)
        {
            int tab = line[start..].IndexOf((byte)'\t');
            var field = tab < 0 ? line[start..] : line.Slice(start, tab);
            _fieldStarts[_fields] = start;
            _fieldLengths[_fields++] = field.SequenceEqual("\\N"u8) ? -1 : field.Length;
            if (tab < 0)
                break;
            start += tab + 1;
        }
        foreach (var order in _orders)
        {
            if (!order.InOrder)
                continue;
            int length = order.Field < _fields ? _fieldLengths[order.Field] : -1;
            order.Next(length < 0 ? default : line.Slice(_fieldStarts[order.Field], length), length < 0);
            if (!order.InOrder)
                _cut = Cut();
        }
        foreach (int x in _variable)
        {
            long offset = SortMemory.TupleHeader;
            foreach (var (fields, type) in _indexes[x])
            {
                long text = 0;
                bool isNull = true;
                foreach (var f in fields)
                {
                    int length = f < _fields ? _fieldLengths[f] : -1;
                    if (length >= 0)
                        (text, isNull) = (text + length, false);
                }
                // A null takes no room in the tuple (its bit is in the header already counted); an expression may not be null.
                if (isNull && type is not null)
                    continue;
                var (bytes, align) = type is null ? ColumnType.Unknown(text) : type.InTuple(text);
                offset = SortMemory.Align(offset, align) + bytes;
            }
            _tupleMemory[x] += SortMemory.PerTuple(offset);
        }
    }

    /// <summary>The column list of "COPY schema.table (a, "B c") FROM stdin;", or null.</summary>
    internal static List<string>? CopyColumns(string? copy)
    {
        // The list opens after the table's name, which may itself hold " (" inside its quotes.
        if (copy is null || !copy.StartsWith("COPY ", StringComparison.Ordinal))
            return null;
        int at = 5;
        for (bool quoted = false; at < copy.Length && (quoted || copy[at] != ' '); at++)
            quoted ^= copy[at] == '"';
        int close = copy.LastIndexOf(") FROM stdin", StringComparison.Ordinal);
        if (at + 2 > close || copy[at..(at + 2)] != " (")
            return null;
        var names = new List<string>();
        foreach (var item in IndexKeyShape.SplitTopLevel(copy[(at + 2)..close]).Select(i => i.Trim()))
        {
            // Each item one name, nothing after it.
            if (IndexKeyShape.LeadingIdentifier(item) is not { } id || id.Length != item.Length)
                return null;
            names.Add(id.Name);
        }
        return names;
    }
}
