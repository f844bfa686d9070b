using Npgsql;

namespace PgPhaseRestore.Engine.Connections;

/// <summary>Opening the engine's own connections: a failure says where it tried and what to do (<see cref="PgPhaseException"/>).</summary>
internal static class ConnectionOpening
{
    /// <summary>Opens an Npgsql connection; a failure says where it tried and what to do (<see cref="PgPhaseException"/>).</summary>
    public static async Task<NpgsqlConnection> OpenAsync(this PgConnectionInfo info, string applicationName, CancellationToken ct)
    {
        var conn = new NpgsqlConnection(info.ToNpgsqlConnectionString(applicationName));
        try
        {
            await info.OpenAsync(conn, ct).ConfigureAwait(false);
            return conn;
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens a connection made from this one's connection string, describing a failure as <see cref="PgPhaseException"/>.</summary>
    public static async Task OpenAsync(this PgConnectionInfo info, NpgsqlConnection conn, CancellationToken ct)
    {
        try
        {
            await conn.OpenAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ConnectionFailure.IsConnectionFailure(ex, ct))
        {
            throw await ConnectionFailure.DescribeAsync(info, ex, ct).ConfigureAwait(false);
        }
    }
}
