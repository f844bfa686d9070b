using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Servers;

/// <summary>Lists a server's databases, for loops that back up or move each one on its own.</summary>
public static class ServerDatabases
{
    /// <summary>
    /// Connects to the database the connection names (or "postgres", then "template1") and lists every database the
    /// filter keeps, by name. Sizes are null where the user may not connect (pg_database_size needs CONNECT).
    /// </summary>
    public static Task<IReadOnlyList<DatabaseInfo>> ListAsync(PgConnectionInfo server, DatabaseFilter filter, CancellationToken ct) =>
        PgPhaseErrors.AtBoundaryAsync(() => ListCoreAsync(server, filter, ct));

    private static async Task<IReadOnlyList<DatabaseInfo>> ListCoreAsync(PgConnectionInfo server, DatabaseFilter filter, CancellationToken ct)
    {
        // Failures are PgPhaseException already: they name the server and say what to do.
        var conn = string.IsNullOrEmpty(server.Database)
            ? await MaintenanceDatabase.OpenAsync(server, "pgphase list", last => PgPhaseException.Connection($"{server.EffectiveUser}@{server.Host}:{server.Port}",
                $"neither \"postgres\" nor \"template1\" admits {server.EffectiveUser} ({last.MessageText}); name a database the user may connect to (dbname=)", PgPhaseErrors.KindOfSqlState(last.SqlState), last, server.Origin), ct).ConfigureAwait(false)
            : await server.OpenAsync("pgphase list", ct).ConfigureAwait(false);

        await using (conn)
        {
            var serverName = $"{server.Host}:{server.Port}";
            var result = new List<DatabaseInfo>();
            await using var cmd = new NpgsqlCommand("""
                SELECT d.datname, pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datcollate,
                       CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN pg_database_size(d.oid) END,
                       d.datistemplate, d.datallowconn, has_database_privilege(d.oid, 'CONNECT')
                FROM pg_database d ORDER BY d.datname
                """, conn);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                var name = r.GetString(0);
                var info = new DatabaseInfo(name, r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetInt64(4),
                    r.GetBoolean(5), r.GetBoolean(6), r.GetBoolean(7), serverName, server.WithDatabase(name).WithWrittenUserOnly().ToLibpqString());
                if (filter.Matches(info))
                    result.Add(info);
            }
            return result;
        }
    }
}
