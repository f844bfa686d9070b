using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Copy;

/// <summary>
/// Refuses a copy whose target is its own source, before the backup: restoring a database onto itself would at best
/// fail on every object, and at worst append a second copy of its rows. Host names cannot tell (localhost and
/// 127.0.0.1, a DNS alias), so the servers are asked: the same postmaster start time and the same database OID.
/// </summary>
internal static class SourceAsTarget
{
    public static async Task RefuseAsync(PgConnectionInfo source, PgConnectionInfo target, CancellationToken ct)
    {
        if (source.EffectiveDatabase != target.EffectiveDatabase)
            return;
        var (sourceId, targetId) = (await IdentityAsync(source, ct).ConfigureAwait(false), await IdentityAsync(target, ct).ConfigureAwait(false));
        if (sourceId == targetId)
            throw new PgPhaseException($"the copy's target {target} is its source {source} (the same server, started {sourceId.Split('/')[0]}, and the same database); " +
                                       "copy into another database", PgPhaseErrorCode.InvalidInput);
    }

    private static async Task<string> IdentityAsync(PgConnectionInfo info, CancellationToken ct)
    {
        await using var conn = await info.OpenAsync("pgphase copy", ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(
            "SELECT pg_postmaster_start_time()::text || '/' || (SELECT oid FROM pg_database WHERE datname = current_database())::text", conn);
        return (string)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }
}
