using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Bench;

/// <summary>The benchmarks' generated table: sensor readings with a random uuid each, so that a unique index on it is built from random keys.</summary>
public static class MeasurementsTable
{
    /// <summary>The six indexes beside the primary key that make the indexes outweigh the table.</summary>
    public static readonly string[] Indexes =
    [
        "CREATE UNIQUE INDEX measurements_token ON measurements (token)",
        "CREATE INDEX measurements_device_at ON measurements (device, at)",
        "CREATE INDEX measurements_at ON measurements (at)",
        "CREATE INDEX measurements_label ON measurements (label, reading)",
        "CREATE INDEX measurements_reading ON measurements (reading)",
        "CREATE INDEX measurements_label_device ON measurements (label, device)",
    ];

    public static void Create(PostgresCluster cluster, string database, int rows) => cluster.Execute(database, $"""
        CREATE TABLE measurements (
          id bigint PRIMARY KEY, device int NOT NULL, at timestamptz NOT NULL, reading double precision NOT NULL,
          token uuid NOT NULL, label text NOT NULL);
        INSERT INTO measurements
          SELECT g, g % 5000, timestamptz '2024-01-01' + g * interval '1 second', random() * 100,
                 md5(random()::text || g)::uuid, 'sensor-' || (g % 997)
          FROM generate_series(1, {rows}) g;
        """);
}
