using Npgsql;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>
/// Before anything is created: a restore that keeps ownership runs ALTER ... OWNER TO for every object, which
/// fails for an owner role that does not exist on the target, or that a role without superuser is not a member
/// of (the usual case on managed platforms). Finding that out in phase 1, after the database was created, leaves
/// the operator with a half-made target; this says up front what to do instead.
/// </summary>
internal static class OwnershipCheck
{
    public static async Task RunAsync(PgConnectionInfo target, IReadOnlyList<RestorePhase> selected, RestoreOptions options, CancellationToken ct)
    {
        if (options.NoOwner)
            return;
        var owners = selected.SelectMany(p => p.Entries).Select(e => e.Owner).Where(o => !string.IsNullOrEmpty(o)).Distinct().ToArray();
        if (owners.Length == 0)
            return;
        await using var conn = await MaintenanceDatabase.OpenAsync(target, "pgphase restore", last =>
            PgPhaseException.Wrap($"could not connect to a maintenance database (postgres or template1) as {target} to check object owners: {last.MessageText}", last, PgPhaseErrorCode.RestoreFailed), ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand("""
            SELECT o, r.oid IS NOT NULL, r.oid IS NOT NULL AND pg_has_role(current_user, r.oid, 'MEMBER'),
                   (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), current_user
            FROM unnest($1::text[]) AS o LEFT JOIN pg_roles r ON r.rolname = o
            """, conn) { Parameters = { new() { Value = owners } } };
        var missing = new List<string>();
        var foreign = new List<string>();
        string user = "";
        bool superuser = false;
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                superuser = r.GetBoolean(3);
                user = r.GetString(4);
                if (!r.GetBoolean(1))
                    missing.Add(r.GetString(0));
                else if (!r.GetBoolean(2))
                    foreign.Add(r.GetString(0));
            }
        }
        if (superuser)
            foreign.Clear();
        if (missing.Count == 0 && foreign.Count == 0)
            return;
        var problems = new List<string>();
        if (missing.Count > 0)
            problems.Add($"owner role{(missing.Count == 1 ? "" : "s")} {Names(missing)} do{(missing.Count == 1 ? "es" : "")} not exist on {target.Host ?? "the server"}");
        if (foreign.Count > 0)
            problems.Add($"{user} is not a superuser and not a member of {Names(foreign)}, so it cannot give objects to {(foreign.Count == 1 ? "that role" : "those roles")}");
        throw new PgPhaseException(
            $"the archive keeps ownership, but {string.Join("; and ", problems)}; nothing was created",
            $". Restore without ownership (the restoring user then owns everything), or create the roles and grant them to {user}", PgPhaseErrorCode.Ownership);
    }

    private static string Names(List<string> roles) =>
        string.Join(", ", roles.Take(5).Select(r => $"\"{r}\"")) + (roles.Count > 5 ? $" and {roles.Count - 5} more" : "");
}
