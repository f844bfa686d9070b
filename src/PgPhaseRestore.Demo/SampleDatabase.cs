using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Demo;

/// <summary>
/// The demo's source: a narrow orders table whose indexes outweigh it (five btree indexes beside its primary key,
/// one of them unique on random keys), and a customers table it references, so every phase has work to do.
/// </summary>
internal static class SampleDatabase
{
    public static async Task CreateAsync(PgConnectionInfo server, string database, int rows, CancellationToken ct)
    {
        await CreateEmptyAsync(server, database, ct).ConfigureAwait(false);
        await using var conn = await OpenAsync(server.WithDatabase(database), ct).ConfigureAwait(false);
        await ExecuteAsync(conn, $"""
            CREATE TABLE customers (
              id int PRIMARY KEY,
              name text NOT NULL,
              country char(2) NOT NULL);
            INSERT INTO customers
              SELECT c, 'customer ' || c, (ARRAY['DE', 'FR', 'NL', 'SE', 'US'])[1 + c % 5] FROM generate_series(1, 5000) c;
            CREATE TABLE orders (
              id bigint PRIMARY KEY,
              customer_id int NOT NULL REFERENCES customers,
              placed_at timestamptz NOT NULL,
              amount numeric(10, 2) NOT NULL,
              reference uuid NOT NULL,
              status text NOT NULL);
            INSERT INTO orders
              SELECT g, 1 + g % 5000, timestamptz '2025-01-01' + g * interval '37 seconds', round((random() * 500)::numeric, 2),
                     gen_random_uuid(), (ARRAY['new', 'paid', 'shipped', 'returned'])[1 + g % 4]
              FROM generate_series(1, {rows}) g;
            CREATE UNIQUE INDEX orders_reference ON orders (reference);
            CREATE INDEX orders_customer_placed ON orders (customer_id, placed_at);
            CREATE INDEX orders_placed ON orders (placed_at);
            CREATE INDEX orders_status_amount ON orders (status, amount);
            CREATE INDEX orders_amount ON orders (amount DESC);
            ANALYZE;
            """, ct).ConfigureAwait(false);
    }

    /// <summary>"N in tables, M in indexes" for the database's own tables.</summary>
    public static async Task<(long Tables, long Indexes)> SizesAsync(PgConnectionInfo database, CancellationToken ct)
    {
        await using var conn = await OpenAsync(database, ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "SELECT coalesce(sum(pg_table_size(c.oid)), 0)::bigint, coalesce(sum(pg_indexes_size(c.oid)), 0)::bigint " +
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public'", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public static async Task CreateEmptyAsync(PgConnectionInfo server, string database, CancellationToken ct)
    {
        await using var admin = await OpenAsync(server.WithDatabase("postgres"), ct).ConfigureAwait(false);
        await ExecuteAsync(admin, $"CREATE DATABASE {SqlText.Ident(database)} TEMPLATE template0 ENCODING 'UTF8'", ct).ConfigureAwait(false);
    }

    private static async Task<NpgsqlConnection> OpenAsync(PgConnectionInfo info, CancellationToken ct)
    {
        var conn = new NpgsqlConnection(info.ToNpgsqlConnectionString("pgphase demo"));
        await conn.OpenAsync(ct).ConfigureAwait(false);
        return conn;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
