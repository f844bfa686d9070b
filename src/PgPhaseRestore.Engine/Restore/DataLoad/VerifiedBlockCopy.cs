using System.Buffers;
using System.Security.Cryptography;
using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Restore.DataLoad;

/// <summary>
/// Copies one data block from its ranged GET into pg_restore's standard input, hashing it on the way, and holds
/// back the last piece until the whole block has matched its SHA-256: pg_restore cannot finish a block whose end
/// it has not seen, so rows from a damaged block are never committed.
/// </summary>
internal static class VerifiedBlockCopy
{
    private const int PieceSize = 256 * 1024;

    /// <summary>After pg_restore stops reading, at most this much more is read just to tell whether the block (or object) was damaged.</summary>
    internal const long MaxDrainForChecksum = 64L * 1024 * 1024;

    /// <summary>
    /// Copies the block; false when pg_restore stopped reading (its exit code says why). Throws when the bytes
    /// read do not match the block's SHA-256; <paramref name="what"/> names the block in that message.
    /// </summary>
    public static async Task<bool> CopyAsync(Stream source, Stream stdin, ArchiveBlock block, string what, Action<long>? progress, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var current = ArrayPool<byte>.Shared.Rent(PieceSize);
        var held = ArrayPool<byte>.Shared.Rent(PieceSize);
        int heldLength = 0;
        long total = 0;
        bool readerGone = false;
        try
        {
            while (true)
            {
                int n = await FillAsync(source, current, ct).ConfigureAwait(false);
                if (n == 0)
                    break;
                sha.AppendData(current, 0, n);
                total += n;
                if (heldLength > 0 && !readerGone)
                    readerGone = !await TryWriteAsync(stdin, held.AsMemory(0, heldLength), ct).ConfigureAwait(false);
                (current, held, heldLength) = (held, current, n);
                progress?.Invoke(total);
                if (readerGone && block.Length - total > MaxDrainForChecksum)
                    return false;
            }
            var digest = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
            if (total != block.Length || !string.Equals(digest, block.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new PgPhaseException($"{what} (bytes {block.Offset}-{block.End - 1}) has SHA-256 {digest} but the manifest says {block.Sha256}; " +
                                           "the archive changed or was damaged after the backup", PgPhaseErrorCode.DamagedArchive);
            return !readerGone && await TryWriteAsync(stdin, held.AsMemory(0, heldLength), ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(held);
        }
    }

    /// <summary>Writes to pg_restore; false when it no longer reads (finished or failed: its exit code says which).</summary>
    public static async Task<bool> TryWriteAsync(Stream stdin, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        try
        {
            await stdin.WriteAsync(bytes, ct).ConfigureAwait(false);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Reads until the buffer is full or the block ends, so the piece held back is a whole piece.</summary>
    private static async Task<int> FillAsync(Stream source, byte[] buffer, CancellationToken ct)
    {
        int filled = 0;
        while (filled < PieceSize)
        {
            int n = await source.ReadAsync(buffer.AsMemory(filled, PieceSize - filled), ct).ConfigureAwait(false);
            if (n == 0)
                break;
            filled += n;
        }
        return filled;
    }
}
