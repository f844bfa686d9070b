using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Tests.Rigs;

/// <summary>A TABLE DATA entry as pg_dump writes one, for loading rows into a table without an archive around them.</summary>
internal static class TableDataEntry
{
    public static TocEntry For(string schema, string table, string columns) => new()
    {
        DumpId = 7, HadDumper = true, TableOid = 0, Oid = 0, Type = "TABLE DATA", Name = table, Section = TocSection.Data,
        Schema = schema, Owner = "owner", Tablespace = "", TableAccessMethod = null, RelKind = null, Definition = "",
        DropStatement = "", CopyStatement = $"COPY {SqlText.Qualified(schema, table)} {columns} FROM stdin;\n",
        Dependencies = [], DataState = DataState.Offset, DataOffset = 1, DataFile = null,
    };
}
