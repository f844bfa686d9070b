using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Archive;

/// <summary>The kitchen-sink database dumped by the machine's pg_dump in every format the reader must handle.</summary>
public sealed class SampleArchives : IDisposable
{
    private readonly TempDir _dir = new("pgphase-archives-");

    public SampleArchives(Services services)
    {
        var pg = services.Postgres;
        Database = SampleDatabases.CreateKitchenSink(pg, "toc");
        CustomFile = _dir.File("custom.dump");
        PgDump.Dump(pg, Database, CustomFile, "-Fc");
        CustomPipe = _dir.File("pipe.dump");
        PgDump.DumpThroughPipe(pg, Database, CustomPipe);
        CustomUncompressed = _dir.File("plain-data.dump");
        PgDump.Dump(pg, Database, CustomUncompressed, "-Fc", "-Z0");
        Directory = _dir.File("dir");
        PgDump.Dump(pg, Database, Directory, "-Fd");
        Tar = _dir.File("archive.tar");
        PgDump.Dump(pg, Database, Tar, "-Ft");
        Cluster = pg;
    }

    public PostgresCluster Cluster { get; }
    public string Database { get; }
    public string CustomFile { get; }
    public string CustomPipe { get; }
    public string CustomUncompressed { get; }
    public string Directory { get; }
    public string Tar { get; }

    public IEnumerable<string> All => [CustomFile, CustomPipe, CustomUncompressed, Directory, Tar];

    public void Dispose() => _dir.Dispose();
}
