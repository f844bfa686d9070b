using System.Text.Json;
using PgPhaseRestore.TestRigs;

// Starts the services a Pester run needs, seeds them, prints one JSON line, then waits: the services stop when
// standard input closes (the suite ends, or dies and its pipe closes with it), so nothing outlives the run.
// --ssl: the cluster also accepts TLS (a certificate of a test authority), so sslmode=require connects as written.
// --second-server: a second cluster, with the same user and password, for copies from one server to another.
var work = Directory.CreateTempSubdirectory("pgphase-pester-").FullName;
using var cluster = args.Contains("--ssl") ? PostgresCluster.Start(new PostgresClusterOptions { Ssl = ServerCertificate(work) }) : new PostgresCluster();
using var second = args.Contains("--second-server") ? PostgresCluster.Start(new PostgresClusterOptions()) : null;
// One credential reaches both, as one operator's would.
second?.Execute("postgres", $"ALTER ROLE \"{second.User}\" PASSWORD '{cluster.Password}'");
using var s3 = new S3rverServer();

// The kitchen sink: every object kind a restore must bring back exactly, as a custom and a directory archive.
var database = SampleDatabases.CreateKitchenSink(cluster, "pester_source");
// Analyzed, as autovacuum keeps a live database: a backup's manifest then carries each table's row estimate.
cluster.Execute(database, "ANALYZE");
var archive = Path.Combine(work, "kitchen-sink.dump");
PgDump.Dump(cluster, database, archive, "-Fc");
var directoryArchive = Path.Combine(work, "kitchen-sink.dir");
PgDump.Dump(cluster, database, directoryArchive, "-Fd");
var bucket = s3.CreateBucket("pester");

var services = new
{
    Host = cluster.Host,
    Port = cluster.Port,
    User = cluster.User,
    Password = cluster.Password,
    SourceDatabase = database,
    Archive = archive,
    DirectoryArchive = directoryArchive,
    S3Endpoint = s3.Endpoint,
    S3AccessKey = S3rverServer.DistinctAccessKey,
    S3SecretKey = S3rverServer.DistinctSecretKey,
    Bucket = bucket,
    WorkFolder = work,
    PgBinDir = Path.GetDirectoryName(cluster.ClientTool("pg_dump")),
    SecondHost = second?.Host,
    SecondPort = second?.Port,
};
Console.WriteLine(JsonSerializer.Serialize(services));
Console.Out.Flush();

while (Console.In.ReadLine() is { } line)
{
    // "stop-s3" / "start-s3": the suite's fault tests take the bucket's server away and bring it back.
    if (line == "stop-s3")
        s3.Stop();
    else if (line == "start-s3")
        s3.Start();
    Console.WriteLine("ok");
    Console.Out.Flush();
}

try
{
    Directory.Delete(work, recursive: true);
}
catch (IOException)
{
    // A file still open by a child that is ending: the temp folder is cleaned by the system.
}

static ServerCertificates ServerCertificate(string work)
{
    var authority = TestCertificates.CreateAuthority(Path.Combine(work, "tls"), "pester");
    var (certificate, key) = authority.IssueServer("server", "localhost", "127.0.0.1");
    return new ServerCertificates(certificate, key);
}
