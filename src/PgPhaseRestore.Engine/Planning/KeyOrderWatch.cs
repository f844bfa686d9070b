using System.Globalization;
using System.Runtime.CompilerServices;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// Watches whether one column's COPY text arrives in ascending order (nulls last), as an index on it sorts: rows
/// in their key's order make a build's sort a single pass, as PostgreSQL's sort checks for that first. Integers and
/// floats compare by value; dates, times, timestamps (ISO, as pg_dump writes them), uuids and booleans by their
/// text, which orders as their values do. Other types are never taken as ordered. Once a row is out of order the
/// watch stops comparing. Only orders late builds (<see cref="IndexSortEstimate.InKeyOrder"/>), never sizes one.
/// </summary>
internal sealed class KeyOrderWatch
{
    private enum Comparison { Integer, Float, Text }

    private readonly Comparison _comparison;
    private readonly bool _strict;
    private byte[] _previousText = new byte[64];
    private int _previousLength = -1;
    private long _previousInteger;
    private double _previousFloat;
    private bool _previousNull;

    /// <param name="field">The column's place in the COPY text.</param>
    /// <param name="type">The column's type.</param>
    /// <param name="strict">Ties break the order (the key has more columns, whose order a tie leaves open).</param>
    public KeyOrderWatch(int field, ColumnType type, bool strict)
    {
        Field = field;
        _strict = strict;
        (_comparison, InOrder) = type.Name switch
        {
            "smallint" or "integer" or "bigint" or "oid" => (Comparison.Integer, true),
            "real" or "double precision" => (Comparison.Float, true),
            "date" or "timestamp without time zone" or "timestamp with time zone" or "time without time zone" or "uuid" or "boolean" => (Comparison.Text, true),
            _ => (Comparison.Text, false),
        };
    }

    public int Field { get; }

    /// <summary>Every value so far came in order.</summary>
    public bool InOrder { get; private set; }

    /// <summary>Takes the next row's value: its COPY text, or null for \N.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Next(ReadOnlySpan<byte> text, bool isNull)
    {
        if (!InOrder)
            return;
        if (_previousNull)
        {
            // Nulls sort last: only another null may follow one, and not even that where ties break the order.
            InOrder = isNull && !_strict;
            return;
        }
        if (isNull)
        {
            _previousNull = true;
            return;
        }
        bool first = _previousLength < 0;
        int order;
        switch (_comparison)
        {
            case Comparison.Integer:
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long integer))
                {
                    InOrder = false;
                    return;
                }
                order = first ? 1 : integer.CompareTo(_previousInteger);
                _previousInteger = integer;
                break;
            case Comparison.Float:
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || double.IsNaN(number))
                {
                    InOrder = false;
                    return;
                }
                order = first ? 1 : number.CompareTo(_previousFloat);
                _previousFloat = number;
                break;
            default:
                order = first ? 1 : text.SequenceCompareTo(_previousText.AsSpan(0, _previousLength));
                if (text.Length > _previousText.Length)
                    _previousText = new byte[Math.Max(text.Length, 2 * _previousText.Length)];
                text.CopyTo(_previousText);
                break;
        }
        _previousLength = text.Length;
        if (order < 0 || (order == 0 && _strict))
            InOrder = false;
    }
}
