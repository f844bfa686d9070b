using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>The target database: created on request and checked for emptiness.</summary>
internal static class TargetDatabase
{
    /// <summary>
    /// Creates the target database when it does not exist and <paramref name="create"/> says so; true when it was
    /// created. One created meanwhile by another session (a second restore into the same new name) exists now: the
    /// restore lock, taken next, decides which run restores into it.
    /// </summary>
    public static async Task<bool> EnsureExistsAsync(PgConnectionInfo target, bool create, CancellationToken ct)
    {
        var name = target.Database ?? throw PgPhaseException.NoDatabase(target, "target");
        await using var conn = await OpenMaintenanceAsync(target, ct).ConfigureAwait(false);
        if (await ExistsAsync(conn, name, create, target, ct).ConfigureAwait(false))
            return false;
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {SqlText.Ident(name)}", conn);
        try
        {
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (LostTheRace(ex))
        {
            return false;
        }
        return true;
    }

    /// <summary>
    /// A CREATE DATABASE that another session's CREATE of the same name beat: 42P04 when that one had committed before
    /// this one looked, 23505 on pg_database's name index when both were inserting at once.
    /// </summary>
    private static bool LostTheRace(PostgresException ex) =>
        ex.SqlState == PostgresErrorCodes.DuplicateDatabase ||
        (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "pg_database_datname_index");

    /// <summary>
    /// The target's server is reachable and the database exists, or is to be created: what a restore checks first,
    /// checked before work that comes ahead of the restore (the backup of a copy). True when it exists already.
    /// </summary>
    internal static async Task<bool> CheckAsync(PgConnectionInfo target, bool create, CancellationToken ct)
    {
        var name = target.Database ?? throw PgPhaseException.NoDatabase(target, "target");
        await using var conn = await OpenMaintenanceAsync(target, ct).ConfigureAwait(false);
        return await ExistsAsync(conn, name, create, target, ct).ConfigureAwait(false);
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection conn, string name, bool create, PgConnectionInfo target, CancellationToken ct)
    {
        // The server cuts a longer name to its first 63 bytes, silently: the restore would go into another database than the one named.
        if (System.Text.Encoding.UTF8.GetByteCount(name) is var bytes and > Swap.DatabaseNames.MaxBytes)
            throw new PgPhaseException($"target database \"{name}\" is a name of {bytes} bytes; PostgreSQL keeps only the first {Swap.DatabaseNames.MaxBytes} of a name, " +
                                       "so the restore would go into another database than the one named", $": choose a name of {Swap.DatabaseNames.MaxBytes} bytes or fewer",
                                       PgPhaseErrorCode.NameTooLong);
        await using var check = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", conn) { Parameters = { new() { Value = name } } };
        if (await check.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null)
            return true;
        return create ? false
            : throw new PgPhaseException($"target database \"{name}\" does not exist on {target.Host}:{target.Port}", "; create it, or ask for it to be created", PgPhaseErrorCode.TargetMissing);
    }

    private static Task<NpgsqlConnection> OpenMaintenanceAsync(PgConnectionInfo target, CancellationToken ct) =>
        MaintenanceDatabase.OpenAsync(target, "pgphase", last =>
            PgPhaseException.Wrap($"could not connect to a maintenance database (postgres or template1) on {target.Host}:{target.Port}: {last.Message}", last, PgPhaseErrorCode.RestoreFailed), ct);

    /// <summary>A description of what the database already holds, or null when it holds nothing of the user's.</summary>
    public static async Task<string?> DescribeContentsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        const string sql = """
            SELECT
              (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'),
              (SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public')
                AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%'),
              (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')),
              (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'),
              (SELECT count(*) FROM pg_largeobject_metadata)
            """;
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await r.ReadAsync(ct).ConfigureAwait(false);
        long relations = r.GetInt64(0), schemas = r.GetInt64(1), functions = r.GetInt64(2), extensions = r.GetInt64(3), blobs = r.GetInt64(4);
        if (relations + schemas + functions + extensions + blobs == 0)
            return null;
        var parts = new List<string>();
        if (relations > 0) parts.Add(Plural.Of(relations, "relation"));
        if (schemas > 0) parts.Add($"{schemas} schemas");
        if (functions > 0) parts.Add($"{functions} functions");
        if (extensions > 0) parts.Add($"{extensions} extensions");
        if (blobs > 0) parts.Add(Plural.Of(blobs, "large object"));
        return string.Join(", ", parts);
    }
}
