using System.Text;
using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Tests.Archive;

/// <summary>
/// Writes a custom-format header and TOC byte by byte from the documented layout, for archive versions the
/// machine's pg_dump cannot write (1.12, 1.13, 1.15, 1.16) and for damaged inputs.
/// </summary>
public sealed class CraftedArchive
{
    public sealed record Entry(
        int DumpId, string Type, string? Schema, string? Name, TocSection Section, string? Definition,
        bool HadDumper = false, string? Owner = "postgres", char RelKind = '\0', string? TableAm = null,
        int[]? Dependencies = null, byte OffsetFlag = 3, long Offset = 0, uint TableOid = 0, uint Oid = 0,
        string? CopyStatement = null, string? DropStatement = null);

    public ArchiveVersion Version { get; init; } = ArchiveVersion.V1_14;
    public int IntSize { get; init; } = 4;
    public int OffsetSize { get; init; } = 8;
    public byte FormatByte { get; init; } = 1;
    public int CompressionLevel { get; init; } = -1;
    public CompressionAlgorithm Algorithm { get; init; } = CompressionAlgorithm.Gzip;
    public string DatabaseName { get; init; } = "crafted";
    public List<Entry> Entries { get; } = [];

    private readonly MemoryStream _out = new();

    public byte[] ToBytes()
    {
        _out.SetLength(0);
        _out.Write("PGDMP"u8);
        _out.WriteByte(Version.Major);
        _out.WriteByte(Version.Minor);
        _out.WriteByte(Version.Revision);
        _out.WriteByte((byte)IntSize);
        _out.WriteByte((byte)OffsetSize);
        _out.WriteByte(FormatByte);
        if (Version >= ArchiveVersion.V1_15)
            _out.WriteByte((byte)Algorithm);
        else
            Int(CompressionLevel);
        foreach (var part in new[] { 30, 15, 12, 21, 10, 126, 0 }) // 2026-11-21 12:15:30
            Int(part);
        Str(DatabaseName);
        Str("16.4");
        Str("16.4");

        Int(Entries.Count);
        foreach (var e in Entries)
        {
            Int(e.DumpId);
            Int(e.HadDumper ? 1 : 0);
            Str(e.TableOid.ToString());
            Str(e.Oid.ToString());
            Str(e.Name);
            Str(e.Type);
            Int((int)e.Section);
            Str(e.Definition);
            Str(e.DropStatement ?? "");
            Str(e.CopyStatement ?? "");
            Str(e.Schema);
            Str("");
            if (Version >= ArchiveVersion.V1_14)
                Str(e.TableAm);
            if (Version >= ArchiveVersion.V1_16)
                Int(e.RelKind);
            Str(e.Owner);
            Str("false");
            foreach (var d in e.Dependencies ?? [])
                Str(d.ToString());
            Str(null);
            if (FormatByte == 1)
            {
                _out.WriteByte(e.OffsetFlag);
                for (int i = 0; i < OffsetSize; i++)
                    _out.WriteByte((byte)(e.Offset >> (8 * i)));
            }
            else
            {
                Str(e.HadDumper ? $"{e.DumpId}.dat" : "");
            }
        }
        return _out.ToArray();
    }

    private void Int(long value)
    {
        _out.WriteByte(value < 0 ? (byte)1 : (byte)0);
        ulong magnitude = (ulong)Math.Abs(value);
        for (int i = 0; i < IntSize; i++)
            _out.WriteByte((byte)(magnitude >> (8 * i)));
    }

    private void Str(string? value)
    {
        if (value is null)
        {
            Int(-1);
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(value);
        Int(bytes.Length);
        _out.Write(bytes);
    }

    /// <summary>A small but realistic TOC: specials, a schema, a table, its data, a primary key, a comment.</summary>
    public static CraftedArchive Typical(ArchiveVersion version, CompressionAlgorithm algorithm = CompressionAlgorithm.Gzip)
    {
        var a = new CraftedArchive { Version = version, Algorithm = algorithm };
        bool am = version >= ArchiveVersion.V1_14;
        a.Entries.Add(new(1, "ENCODING", null, "ENCODING", TocSection.PreData, "SET client_encoding = 'UTF8';\n", Owner: ""));
        a.Entries.Add(new(2, "STDSTRINGS", null, "STDSTRINGS", TocSection.PreData, "SET standard_conforming_strings = 'on';\n", Owner: ""));
        a.Entries.Add(new(3, "SEARCHPATH", null, "SEARCHPATH", TocSection.PreData, "SELECT pg_catalog.set_config('search_path', '', false);\n", Owner: ""));
        a.Entries.Add(new(10, "SCHEMA", null, "app", TocSection.PreData, "CREATE SCHEMA app;\n", TableOid: 2615, Oid: 16385));
        a.Entries.Add(new(20, "TABLE", "app", "café", TocSection.PreData, "CREATE TABLE app.\"café\" (id integer);\n",
            RelKind: 'r', TableAm: am ? "heap" : null, Dependencies: [10], TableOid: 1259, Oid: 16386));
        a.Entries.Add(new(30, "TABLE DATA", "app", "café", TocSection.Data, "", HadDumper: true, Dependencies: [20],
            OffsetFlag: 2, Offset: 4096, CopyStatement: "COPY app.\"café\" (id) FROM stdin;\n"));
        a.Entries.Add(new(40, "CONSTRAINT", "app", "café café_pkey", TocSection.PostData,
            "ALTER TABLE ONLY app.\"café\"\n    ADD CONSTRAINT \"café_pkey\" PRIMARY KEY (id);\n", Dependencies: [20], TableOid: 2606, Oid: 16390));
        a.Entries.Add(new(50, "COMMENT", "app", "CONSTRAINT café_pkey ON café", TocSection.None, "COMMENT ON CONSTRAINT ...;\n", Dependencies: [40]));
        return a;
    }
}
