using System.Security.Cryptography;

namespace PgPhaseRestore.Engine.Archive;

/// <summary>
/// Watches a custom-format archive go by as pg_dump writes it and maps its data blocks (<see cref="ArchiveBlockMap"/>).
/// pg_dump writing to a pipe cannot go back to fill in the TOC's data offsets; this map stands in for them.
/// </summary>/// <remarks>
/// Passive: it is shown each byte once, holds at most one primitive (a few bytes) of the archive, and never fails
/// what it watches. Whatever it does not understand ends the scan: <see cref="Problem"/> says what, and there is no map.
/// The layout is <see cref="CustomArchiveGrammar"/>'s; this feeds it the bytes it asks for, passes over what it
/// skips, and cuts the archive into segments (the TOC, then each block) at the boundaries it marks, hashing each.
/// Started at a data block of a local file instead (<see cref="FromDataBlock"/>), it hashes nothing, so whoever
/// feeds it may seek over what it would only pass by (<see cref="Skippable"/>, <see cref="Skipped"/>): the blocks'
/// headers and chunk lengths are read, their data never.
/// </remarks>
internal sealed class ArchiveBlockScanner
{
    private const int NoSegment = -1;

    private readonly CustomArchiveGrammar _grammar;
    private readonly IEnumerator<ScanNeed> _parser;
    private readonly byte[] _scratch = new byte[16];
    private readonly List<ArchiveBlock> _blocks = [];
    private readonly bool _hashing = true;
    private bool _inSegment;
    private int _have;
    private long _skipLeft;
    private long _position;
    private IncrementalHash? _hash;
    private long _segmentStart;
    private int _segmentId = NoSegment;
    private long _tocEnd = -1;
    private string _tocSha256 = "";
    private bool _stopped;

    public ArchiveBlockScanner()
    {
        _grammar = new CustomArchiveGrammar(_scratch, () => _segmentStart, id => _segmentId = id);
        _parser = _grammar.Archive().GetEnumerator();
        _parser.MoveNext();
    }

    private ArchiveBlockScanner(DumpArchive archive, long at)
    {
        _hashing = false;
        _grammar = new CustomArchiveGrammar(archive, _scratch, () => _segmentStart, id => _segmentId = id);
        (_position, _segmentStart, _tocEnd) = (at, at, archive.TocEndOffset);
        _parser = _grammar.DataBlocks().GetEnumerator();
        _parser.MoveNext();
    }

    /// <summary>
    /// A scanner of the data blocks of <paramref name="archive"/> (a custom archive whose TOC was read) from byte
    /// <paramref name="at"/>, where a block starts: the end of the TOC, or an offset the TOC gives.
    /// </summary>
    public static ArchiveBlockScanner FromDataBlock(DumpArchive archive, long at) => new(archive, at);

    /// <summary>The blocks seen whole so far, in file order.</summary>
    public IReadOnlyList<ArchiveBlock> Blocks => _blocks;

    /// <summary>Where the block being read starts and, once its header says, its dump id; null between blocks.</summary>
    public (long Offset, int? DumpId)? OpenBlock =>
        _inSegment && _tocEnd >= 0 && !(_parser.Current.Kind == ScanNeedKind.Bytes && _have == 0 && _segmentStart == _position)
            ? (_segmentStart, _segmentId == NoSegment ? null : _segmentId) : null;

    /// <summary>
    /// How many of the next bytes the scanner would only pass by (chunk data, a skipped field), and so whoever feeds
    /// it may seek over; always 0 while it hashes what it sees.
    /// </summary>
    public long Skippable => _hashing || _stopped ? 0
        : _parser.Current.Kind is ScanNeedKind.Skip || (_parser.Current.Kind is ScanNeedKind.Chunks && _have == 0) ? _skipLeft : 0;

    /// <summary>The feeder sought over the next <paramref name="count"/> bytes (at most <see cref="Skippable"/>): they are passed by unseen.</summary>
    public void Skipped(long count)
    {
        if (count <= 0 || _stopped)
            return;
        if (count > Skippable)
            throw new InvalidOperationException($"the scanner can pass over {Skippable} bytes here, not {count}");
        _position += count;
        _skipLeft -= count;
        // A field passed by whole lets the parser go on; a chunk goes on with the next bytes shown.
        Append([]);
    }

    /// <summary>Why there is no map: what was not understood, and where.</summary>
    public string? Problem { get; private set; }

    /// <summary>Bytes seen so far.</summary>
    public long Position => _position;

    /// <summary>The next bytes of the archive, in order.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        if (_stopped)
            return;
        try
        {
            Consume(data);
        }
        catch (Exception ex)
        {
            // Whatever goes wrong here, the backup it watches goes on: this only means no map.
            Stop($"{ex.Message} (at byte {_position}, reading {_grammar.Context})");
        }
    }

    /// <summary>The archive has ended: the map, or null (then <see cref="Problem"/> says why).</summary>
    public ArchiveBlockMap? Finish()
    {
        if (_stopped)
            return null;
        var need = _parser.Current;
        if (need.Kind != ScanNeedKind.Bytes || _have != 0 || _segmentStart != _position || _tocEnd < 0)
        {
            Stop($"the archive ended at byte {_position} in the middle of {_grammar.Context}");
            return null;
        }
        var missing = _grammar.Missing.ToList();
        if (missing.Count > 0)
        {
            Stop($"the TOC announces data for dump id {missing[0]} but no block holds it");
            return null;
        }
        _stopped = true;
        _hash?.Dispose();
        return new ArchiveBlockMap { TocEnd = _tocEnd, TocSha256 = _tocSha256, Blocks = _blocks.ToList() };
    }

    private void Stop(string problem)
    {
        Problem ??= problem;
        _stopped = true;
        _hash?.Dispose();
        _hash = null;
    }

    private void Consume(ReadOnlySpan<byte> data)
    {
        int i = 0, hashFrom = 0;
        while (!_stopped)
        {
            var need = _parser.Current;
            if (need.Kind == ScanNeedKind.Boundary)
            {
                _hash?.AppendData(data[hashFrom..i]);
                hashFrom = i;
                CloseSegment();
            }
            else if (need.Kind == ScanNeedKind.Skip && _skipLeft == 0)
            {
                // Sought over by the feeder (Skipped).
            }
            else if (i == data.Length)
                break;
            else if (!(need.Kind switch
                     {
                         ScanNeedKind.Bytes => Gather(data, ref i, (int)need.Count),
                         ScanNeedKind.Skip => Pass(data, ref i),
                         _ => PassChunks(data, ref i),
                     }))
                break;
            if (!_parser.MoveNext())
                throw new InvalidOperationException("the scanner's parser ended");
            if (_parser.Current.Kind == ScanNeedKind.Skip)
                _skipLeft = _parser.Current.Count;
        }
        if (!_stopped)
            _hash?.AppendData(data[hashFrom..i]);
    }

    /// <summary>Gathers <paramref name="count"/> bytes into the scratch buffer; true once they are all there.</summary>
    private bool Gather(ReadOnlySpan<byte> data, ref int i, int count)
    {
        int take = Math.Min(count - _have, data.Length - i);
        data.Slice(i, take).CopyTo(_scratch.AsSpan(_have));
        _have += take;
        i += take;
        _position += take;
        if (_have < count)
            return false;
        _have = 0;
        return true;
    }

    /// <summary>Passes over the bytes of a skip; true once it is done.</summary>
    private bool Pass(ReadOnlySpan<byte> data, ref int i)
    {
        int take = (int)Math.Min(_skipLeft, data.Length - i);
        i += take;
        _position += take;
        _skipLeft -= take;
        return _skipLeft == 0;
    }

    /// <summary>
    /// Passes over length-prefixed chunks up to a zero length; true once that is read. The hot path (an
    /// uncompressed dump has one chunk per row), so it runs here rather than through the parser.
    /// </summary>
    private bool PassChunks(ReadOnlySpan<byte> data, ref int i)
    {
        while (i < data.Length)
        {
            if (_skipLeft > 0)
            {
                Pass(data, ref i);
                continue;
            }
            if (!Gather(data, ref i, 1 + _grammar.IntSize))
                return false;
            long length = _grammar.ReadInt();
            if (length == 0)
                return true;
            // pg_dump's chunks hold at most one buffer of (compressed) rows; beyond 2 GiB the length is damage.
            if (length is < 0 or > int.MaxValue)
                throw new FormatException($"chunk length {length} is impossible");
            _skipLeft = length;
        }
        return false;
    }

    /// <summary>Ends the segment before the current position (the TOC, or the previous block) and starts the next.</summary>
    private void CloseSegment()
    {
        if (_inSegment)
        {
            var sha = _hash is null ? "" : Convert.ToHexString(_hash.GetHashAndReset()).ToLowerInvariant();
            if (_tocEnd < 0)
                (_tocEnd, _tocSha256) = (_position, sha);
            else
                _blocks.Add(new ArchiveBlock(_segmentId, _segmentStart, _position - _segmentStart, sha));
        }
        if (_hashing)
            _hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        _inSegment = true;
        _segmentStart = _position;
        _segmentId = NoSegment;
    }
}
