namespace PgPhaseRestore.TestRigs;

/// <summary>Sample databases built in the test cluster from the SQL files beside the rigs.</summary>
public static class SampleDatabases
{
    public static string SqlFile(string name) => Path.Combine(AppContext.BaseDirectory, "Sql", name);

    /// <summary>Creates a database and loads the kitchen-sink schema and data: many object kinds, all the restore pitfalls.</summary>
    public static string CreateKitchenSink(PostgresCluster cluster, string prefix = "sink")
    {
        var db = cluster.CreateDatabase(prefix);
        cluster.Execute(db, File.ReadAllText(SqlFile("kitchen-sink.sql")));
        return db;
    }
}
