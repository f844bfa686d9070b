using Npgsql;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Which database a journal describes: its OID, and the server's system identifier where the role may read it.
/// A database dropped and created again under the same name gets another OID, so its old journal is not obeyed.
/// </summary>
internal sealed record TargetIdentity(uint DatabaseOid, string? ServerId)
{
    internal static async Task<TargetIdentity> ReadAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        uint oid;
        await using (var cmd = new NpgsqlCommand("SELECT oid FROM pg_database WHERE datname = current_database()", conn))
            oid = (uint)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        string? server = null;
        try
        {
            // Readable by superusers and roles granted it (pg_monitor on some platforms); elsewhere the OID suffices.
            await using var cmd = new NpgsqlCommand("SELECT system_identifier::text FROM pg_control_system()", conn);
            server = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.UndefinedFunction)
        {
        }
        return new TargetIdentity(oid, server);
    }

    /// <summary>True when both name the same database; an unreadable server id does not count against it.</summary>
    public bool Matches(TargetIdentity other) =>
        DatabaseOid == other.DatabaseOid && (ServerId is null || other.ServerId is null || ServerId == other.ServerId);

    public override string ToString() => ServerId is null ? $"database OID {DatabaseOid}" : $"database OID {DatabaseOid} on server {ServerId}";
}
