using System.Numerics;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// What a btree build's in-memory sort holds, as tuplesort accounts it against maintenance_work_mem, on the safe
/// side for every PostgreSQL version: per tuple, the IndexTuple in a memory chunk (aset rounds the chunk up to a
/// power of two behind a 16-byte header, PostgreSQL 11 to 14; a generation context from 15 on rounds to 8 behind
/// up to 32) plus its 24-byte SortTuple slot, in an array that grows by doubling, so up to twice the slots.
/// </summary>
internal static class SortMemory
{
    /// <summary>IndexTupleData (8 bytes) plus a null bitmap, aligned: assumed always, as a nullable key needs it.</summary>
    public const int TupleHeader = 16;

    /// <summary>A SortTuple slot, counted twice: the array may be up to double the tuples it holds.</summary>
    private const int SlotBytes = 2 * 24;

    /// <summary>The sort's fixed allocations (its contexts, the first slot array) with room to spare.</summary>
    public const long FixedBytes = 1024 * 1024;

    /// <summary>The accounted memory of one tuple of <paramref name="tupleBytes"/> (header and aligned key data), slot included.</summary>
    public static long PerTuple(long tupleBytes)
    {
        long t = Align(Math.Max(tupleBytes, 8), 8);
        long aset = (t <= 8192 ? (long)BitOperations.RoundUpToPowerOf2((ulong)t) : t) + 16;
        long generation = t + 32;
        return Math.Max(aset, generation) + SlotBytes;
    }

    /// <summary>
    /// A safe bound for tuples whose sizes are known only on average: a power of two under 2x, so twice the
    /// aligned average bounds the average chunk.
    /// </summary>
    public static long PerAverageTuple(double averageTupleBytes)
    {
        long t = Align((long)Math.Ceiling(Math.Max(averageTupleBytes, 8)), 8);
        return Math.Max(2 * t + 16, t + 32) + SlotBytes;
    }

    /// <summary>The maintenance_work_mem a sort of tuples adding up to <paramref name="tupleMemory"/> (from <see cref="PerTuple"/>) needs.</summary>
    public static long Total(long tupleMemory) => tupleMemory + FixedBytes;

    public static long Align(long value, int alignment) => (value + alignment - 1) / alignment * alignment;
}
