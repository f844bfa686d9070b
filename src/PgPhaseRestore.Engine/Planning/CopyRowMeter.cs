namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// Measures a table's COPY text as it streams by: rows, bytes, and for each index the sort memory its tuples
/// take (<see cref="SortMemory.PerTuple"/>), each tuple sized from the text of the fields it is made of. A key of
/// fixed-width columns alone makes tuples of one size, counted as if no value were null (a null takes no room): the
/// rows are all it needs, so only the fields of the other keys are cut out of each row.
/// </summary>
internal sealed class CopyRowMeter
{
    private readonly (int[] Fields, ColumnType? Type)[][] _indexes;
    private readonly long[] _tupleMemory;
    private readonly long[] _fixedTuple;
    private readonly int[] _variable;
    private readonly int _lastField;
    private readonly int[] _fieldLengths;
    private int _fields;
    private byte[] _carry = new byte[4096];
    private int _carried;
    private bool _ended;

    /// <param name="copyColumns">The columns in the order of the COPY text.</param>
    /// <param name="shapes">The indexes to measure.</param>
    public CopyRowMeter(IReadOnlyList<string> copyColumns, IReadOnlyList<IndexKeyShape> shapes)
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
        _fieldLengths = new int[_lastField + 1];
    }

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

    /// <summary>Takes the next bytes of the COPY text.</summary>
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

    private void Row(ReadOnlySpan<byte> line)
    {
        if (line.SequenceEqual("\\."u8))
        {
            _ended = true;
            return;
        }
        Rows++;
        if (_variable.Length == 0)
            return;
        // Only the fields up to the last one a variable-width key reads are cut out; a vectorized search finds each tab.
        _fields = 0;
        while (_fields <= _lastField)
        {
            int tab = line.IndexOf((byte)'\t');
            var field = tab < 0 ? line : line[..tab];
            _fieldLengths[_fields++] = field.SequenceEqual("\\N"u8) ? -1 : field.Length;
            if (tab < 0)
                break;
            line = line[(tab + 1)..];
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
}
