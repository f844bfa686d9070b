using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>A database as pg_database describes it, with whether the current role owns it (directly or through membership).</summary>
internal sealed record DatabaseState(uint Oid, string Name, string Owner, bool AllowConnections, int ConnectionLimit, bool IsTemplate, bool OwnedByMe);

/// <summary>
/// What a swap reads from and does to the shared catalog, always from a maintenance database: a database cannot
/// be renamed from a session connected to it, and a blocked database cannot be connected to.
/// </summary>
internal static class SwapCatalog
{
    // Advisory lock key (two-int form): "pgph" and the live name's hash; held by the swap's maintenance session.
    private const int LockClass = 0x70677068;

    private const string DatabaseColumns = """
        SELECT d.oid, d.datname, pg_get_userbyid(d.datdba), d.datallowconn, d.datconnlimit, d.datistemplate,
               pg_has_role(current_user, d.datdba, 'MEMBER')
        FROM pg_database d
        """;

    public static Task<NpgsqlConnection> OpenAsync(PgConnectionInfo server, CancellationToken ct) =>
        MaintenanceDatabase.OpenAsync(server, $"pgphase swap (pid {Environment.ProcessId})", last =>
            new PgPhaseException($"could not connect to a maintenance database (postgres or template1) on {server.Host ?? "localhost"}:{server.Port}: {last.MessageText}; " +
                              "a swap renames databases from a session that is connected to neither", PgPhaseErrorCode.SwapNotPermitted, last), ct);

    public static async Task<DatabaseState?> ByNameAsync(NpgsqlConnection conn, string name, CancellationToken ct) =>
        (await QueryAsync(conn, DatabaseColumns + " WHERE d.datname = $1", name, ct).ConfigureAwait(false)).FirstOrDefault();

    public static async Task<DatabaseState?> ByOidAsync(NpgsqlConnection conn, uint oid, CancellationToken ct) =>
        (await QueryAsync(conn, DatabaseColumns + " WHERE d.oid = $1", oid, ct).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>Databases whose names start with a prefix, newest name last.</summary>
    public static Task<List<DatabaseState>> StartingWithAsync(NpgsqlConnection conn, string prefix, CancellationToken ct) =>
        QueryAsync(conn, DatabaseColumns + " WHERE left(d.datname, length($1)) = $1 ORDER BY d.datname", prefix, ct);

    private static async Task<List<DatabaseState>> QueryAsync(NpgsqlConnection conn, string sql, object value, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn) { Parameters = { value is uint oid ? Oid(oid) : new() { Value = value } } };
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<DatabaseState>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            list.Add(new DatabaseState(r.GetFieldValue<uint>(0), r.GetString(1), r.GetString(2), r.GetBoolean(3), r.GetInt32(4), r.GetBoolean(5), r.GetBoolean(6)));
        return list;
    }

    /// <summary>
    /// PostgreSQL's rule for ALTER DATABASE RENAME: the role owns the database (membership in the owning role
    /// counts) and has CREATEDB itself; superusers may anyway.
    /// </summary>
    public static async Task CheckMayRenameAsync(NpgsqlConnection conn, IEnumerable<DatabaseState> databases, CancellationToken ct)
    {
        string me;
        bool createDb, super;
        await using (var cmd = new NpgsqlCommand("SELECT current_user, rolcreatedb, rolsuper FROM pg_roles WHERE rolname = current_user", conn))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            await r.ReadAsync(ct).ConfigureAwait(false);
            (me, createDb, super) = (r.GetString(0), r.GetBoolean(1), r.GetBoolean(2));
        }
        if (super)
            return;
        var problems = new List<string>();
        if (!createDb)
            problems.Add($"role \"{me}\" lacks CREATEDB, which PostgreSQL requires to rename a database");
        foreach (var db in databases.Where(d => !d.OwnedByMe))
            problems.Add($"\"{db.Name}\" belongs to \"{db.Owner}\", and \"{me}\" is neither that role nor a member of it");
        if (problems.Count > 0)
            throw new PgPhaseException($"cannot rename: {string.Join("; ", problems)}", PgPhaseErrorCode.SwapNotPermitted);
    }

    /// <summary>Everyone connected to these databases but this session, and their prepared transactions (which also block a rename).</summary>
    public static async Task<List<SessionInfo>> SessionsAsync(NpgsqlConnection conn, IReadOnlyCollection<string> databases, CancellationToken ct)
    {
        var list = new List<SessionInfo>();
        if (databases.Count == 0)
            return list;
        // Autovacuum workers are left out: the rename stops them itself. Their backend_type is hidden from roles
        // without pg_read_all_stats, but they (like other background processes) have no user. Other roles' state and client address
        // are hidden without pg_read_all_stats; pid, user and application are always visible.
        await using (var cmd = new NpgsqlCommand("""
            WITH me AS (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
            SELECT a.datname, a.pid, a.usename, a.application_name, a.client_addr::text, a.state,
                   (SELECT rolsuper FROM me)
                   OR (a.usesysid IS NOT NULL AND NOT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.oid = a.usesysid), false)
                       AND (pg_has_role(current_user, a.usesysid, 'MEMBER') OR pg_has_role(current_user, 'pg_signal_backend', 'MEMBER')))
            FROM pg_stat_activity a
            WHERE a.datname = ANY($1) AND a.pid <> pg_backend_pid() AND a.usesysid IS NOT NULL
              AND a.backend_type IS DISTINCT FROM 'autovacuum worker'
            ORDER BY a.datname, a.pid
            """, conn) { Parameters = { new() { Value = databases.ToArray() } } })
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                list.Add(new SessionInfo(r.GetString(0), r.GetInt32(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                    r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.GetBoolean(6)));
        }
        await using (var cmd = new NpgsqlCommand("SELECT database, gid, owner FROM pg_prepared_xacts WHERE database = ANY($1) ORDER BY database, gid", conn)
                     { Parameters = { new() { Value = databases.ToArray() } } })
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
                list.Add(new SessionInfo(r.GetString(0), 0, r.GetString(2), null, null, null, false, r.GetString(1)));
        }
        return list;
    }

    /// <summary>
    /// Stops new connections: ALLOW_CONNECTIONS false where the platform lets an owner set it, else CONNECTION
    /// LIMIT 0 (which superusers still pass). Returns which of the two it used.
    /// </summary>
    public static async Task<string> BlockAsync(NpgsqlConnection conn, string database, CancellationToken ct)
    {
        try
        {
            await ExecuteAsync(conn, $"ALTER DATABASE {SqlText.Ident(database)} ALLOW_CONNECTIONS false", ct).ConfigureAwait(false);
            return "ALLOW_CONNECTIONS false";
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.FeatureNotSupported)
        {
            await ExecuteAsync(conn, $"ALTER DATABASE {SqlText.Ident(database)} CONNECTION LIMIT 0", ct).ConfigureAwait(false);
            return $"CONNECTION LIMIT 0 (ALLOW_CONNECTIONS was refused: {ex.MessageText})";
        }
    }

    /// <summary>Sets a database's connection settings where they differ; returns what changed, or null.</summary>
    public static async Task<string?> SetConnectionsAsync(NpgsqlConnection conn, uint oid, bool allow, int limit, CancellationToken ct)
    {
        var now = await ByOidAsync(conn, oid, ct).ConfigureAwait(false);
        if (now is null)
            return null;
        var changes = new List<string>();
        if (now.AllowConnections != allow)
        {
            await ExecuteAsync(conn, $"ALTER DATABASE {SqlText.Ident(now.Name)} ALLOW_CONNECTIONS {(allow ? "true" : "false")}", ct).ConfigureAwait(false);
            changes.Add($"ALLOW_CONNECTIONS {(allow ? "true" : "false")}");
        }
        if (now.ConnectionLimit != limit)
        {
            await ExecuteAsync(conn, $"ALTER DATABASE {SqlText.Ident(now.Name)} CONNECTION LIMIT {limit}", ct).ConfigureAwait(false);
            changes.Add($"CONNECTION LIMIT {limit}");
        }
        return changes.Count == 0 ? null : $"\"{now.Name}\": {string.Join(", ", changes)}";
    }

    /// <summary>Ends sessions with pg_terminate_backend; returns the ones ended and the refusals.</summary>
    public static async Task<(List<SessionInfo> Ended, List<string> Refused)> TerminateAsync(NpgsqlConnection conn, IEnumerable<SessionInfo> sessions, CancellationToken ct)
    {
        var ended = new List<SessionInfo>();
        var refused = new List<string>();
        foreach (var s in sessions.Where(s => s.PreparedTransaction is null))
        {
            await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend($1)", conn) { Parameters = { new() { Value = s.Pid } } };
            try
            {
                if (await kill.ExecuteScalarAsync(ct).ConfigureAwait(false) is true)
                    ended.Add(s);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                refused.Add($"{s}: {ex.MessageText}");
            }
        }
        return (ended, refused);
    }

    /// <summary>An OID parameter (Npgsql does not infer oid from uint).</summary>
    public static NpgsqlParameter Oid(uint oid) => new() { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid };

    public static async Task<bool> TryLockAsync(NpgsqlConnection conn, string live, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT pg_try_advisory_lock({LockClass}, hashtext($1))", conn) { Parameters = { new() { Value = live } } };
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    public static async Task ExecuteAsync(NpgsqlConnection conn, string sql, CancellationToken ct, NpgsqlTransaction? tx = null)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
