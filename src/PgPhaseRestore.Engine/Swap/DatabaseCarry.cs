using System.Text;
using Npgsql;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Engine.Swap;

/// <summary>What carrying found (and, when applied, did), and what this role could not carry.</summary>
internal sealed record CarryOutcome(IReadOnlyList<string> Carried, IReadOnlyList<string> NotCarried);

/// <summary>
/// Makes the replacement look like the live database from outside: its database-wide settings
/// (ALTER DATABASE ... SET), per-role settings in it where the role may set them, its comment and its grants.
/// Every statement is idempotent, so a rerun after a crash simply carries again.
/// </summary>
internal static class DatabaseCarry
{
    // pg_dump's list of settings whose value is a list of quoted elements (variable_is_guc_list_quote).
    private static readonly HashSet<string> ListQuoted = new(StringComparer.OrdinalIgnoreCase)
        { "local_preload_libraries", "search_path", "session_preload_libraries", "shared_preload_libraries", "temp_tablespaces", "unix_socket_directories" };

    public static async Task<CarryOutcome> RunAsync(NpgsqlConnection conn, DatabaseState from, DatabaseState to, bool apply, CancellationToken ct)
    {
        var carried = new List<string>();
        var notCarried = new List<string>();
        await CarrySettingsAsync(conn, from, to, apply, carried, notCarried, ct).ConfigureAwait(false);
        await CarryCommentAsync(conn, from, to, apply, carried, ct).ConfigureAwait(false);
        await CarryGrantsAsync(conn, from, to, apply, carried, notCarried, ct).ConfigureAwait(false);
        // Applied with the other connection settings once the renames are done (blocking changes them until then).
        if (from.ConnectionLimit != to.ConnectionLimit)
            carried.Add(from.ConnectionLimit < 0 ? "no connection limit" : $"connection limit {from.ConnectionLimit}");
        return new CarryOutcome(carried, notCarried);
    }

    private static async Task CarrySettingsAsync(NpgsqlConnection conn, DatabaseState from, DatabaseState to, bool apply,
        List<string> carried, List<string> notCarried, CancellationToken ct)
    {
        var source = await SettingsAsync(conn, from.Oid, ct).ConfigureAwait(false);
        var target = await SettingsAsync(conn, to.Oid, ct).ConfigureAwait(false);
        var wanted = source.GetValueOrDefault("") ?? [];
        var present = target.GetValueOrDefault("") ?? [];
        if (!wanted.SequenceEqual(present))
        {
            // The replacement's own database-wide settings give way: the live name's settings are what clients expect.
            if (apply && present.Length > 0)
                await SwapCatalog.ExecuteAsync(conn, $"ALTER DATABASE {SqlText.Ident(to.Name)} RESET ALL", ct).ConfigureAwait(false);
            foreach (var item in wanted)
            {
                var statement = $"ALTER DATABASE {SqlText.Ident(to.Name)} SET {SetClause(item)}";
                if (await TryAsync(conn, statement, apply, ct).ConfigureAwait(false) is { } refusal)
                    notCarried.Add($"setting {item}: {refusal}");
                else
                    carried.Add($"setting {item}");
            }
        }
        foreach (var (role, items) in source.Where(kv => kv.Key.Length > 0))
        {
            var existing = target.GetValueOrDefault(role) ?? [];
            foreach (var item in items.Except(existing))
            {
                var statement = $"ALTER ROLE {SqlText.Ident(role)} IN DATABASE {SqlText.Ident(to.Name)} SET {SetClause(item)}";
                if (await TryAsync(conn, statement, apply, ct).ConfigureAwait(false) is { } refusal)
                    notCarried.Add($"setting {item} for role {role}: {refusal}");
                else
                    carried.Add($"setting {item} for role {role}");
            }
        }
    }

    /// <summary>Runs a statement (or, planning, only checks nothing); the refusal when the role may not.</summary>
    private static async Task<string?> TryAsync(NpgsqlConnection conn, string sql, bool apply, CancellationToken ct)
    {
        if (!apply)
            return null;
        try
        {
            await SwapCatalog.ExecuteAsync(conn, sql, ct).ConfigureAwait(false);
            return null;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.UndefinedObject
                                               or PostgresErrorCodes.InvalidParameterValue or PostgresErrorCodes.CantChangeRuntimeParam)
        {
            return ex.MessageText;
        }
    }

    /// <summary>setconfig per role name ("" for the whole database).</summary>
    private static async Task<Dictionary<string, string[]>> SettingsAsync(NpgsqlConnection conn, uint oid, CancellationToken ct)
    {
        var result = new Dictionary<string, string[]>();
        await using var cmd = new NpgsqlCommand(
            "SELECT CASE WHEN setrole = 0 THEN '' ELSE pg_get_userbyid(setrole) END, setconfig FROM pg_db_role_setting WHERE setdatabase = $1", conn)
            { Parameters = { SwapCatalog.Oid(oid) } };
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
            result[r.GetString(0)] = r.IsDBNull(1) ? [] : r.GetFieldValue<string[]>(1);
        return result;
    }

    /// <summary>"name=value" from pg_db_role_setting as "name = 'value'", list settings element by element, as pg_dumpall writes them.</summary>
    internal static string SetClause(string item)
    {
        int eq = item.IndexOf('=');
        var name = item[..eq];
        var value = item[(eq + 1)..];
        var quotedName = name.Contains('.') ? string.Join('.', name.Split('.').Select(SqlText.Ident)) : name;
        if (!ListQuoted.Contains(name))
            return $"{quotedName} = {SqlText.Literal(value)}";
        var elements = SplitList(value);
        return elements.Count == 0 ? $"{quotedName} = ''" : $"{quotedName} = {string.Join(", ", elements.Select(SqlText.Literal))}";
    }

    /// <summary>Splits a list setting the way the server does (SplitGUCList): commas, with "double-quoted" elements.</summary>
    internal static List<string> SplitList(string value)
    {
        var result = new List<string>();
        int i = 0;
        while (i < value.Length)
        {
            while (i < value.Length && char.IsWhiteSpace(value[i]))
                i++;
            if (i >= value.Length)
                break;
            var element = new StringBuilder();
            if (value[i] == '"')
            {
                i++;
                while (i < value.Length)
                {
                    if (value[i] == '"' && i + 1 < value.Length && value[i + 1] == '"')
                    {
                        element.Append('"');
                        i += 2;
                    }
                    else if (value[i] == '"')
                    {
                        i++;
                        break;
                    }
                    else
                        element.Append(value[i++]);
                }
            }
            else
            {
                while (i < value.Length && value[i] != ',' && !char.IsWhiteSpace(value[i]))
                    element.Append(value[i++]);
            }
            result.Add(element.ToString());
            while (i < value.Length && char.IsWhiteSpace(value[i]))
                i++;
            if (i < value.Length && value[i] == ',')
                i++;
        }
        return result;
    }

    private static async Task CarryCommentAsync(NpgsqlConnection conn, DatabaseState from, DatabaseState to, bool apply, List<string> carried, CancellationToken ct)
    {
        var wanted = await CommentAsync(conn, from.Oid, ct).ConfigureAwait(false);
        var present = await CommentAsync(conn, to.Oid, ct).ConfigureAwait(false);
        if (wanted == present)
            return;
        if (apply)
            await SwapCatalog.ExecuteAsync(conn, $"COMMENT ON DATABASE {SqlText.Ident(to.Name)} IS {(wanted is null ? "NULL" : SqlText.Literal(wanted))}", ct).ConfigureAwait(false);
        carried.Add(wanted is null ? "comment (none)" : "comment");
    }

    private static async Task<string?> CommentAsync(NpgsqlConnection conn, uint oid, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT description FROM pg_shdescription WHERE objoid = $1 AND classoid = 'pg_database'::regclass", conn) { Parameters = { SwapCatalog.Oid(oid) } };
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    // Stands for "the database's owner", which no role name can be (names cannot hold NUL).
    private const string Owner = "\0owner";

    /// <summary>
    /// Makes the replacement's privileges those of the live database (the owner's own standing for the
    /// replacement's owner): grants what is missing, revokes what the live database does not grant. The
    /// replacement's owner grants them all, whoever granted them on the live database.
    /// </summary>
    private static async Task CarryGrantsAsync(NpgsqlConnection conn, DatabaseState from, DatabaseState to, bool apply,
        List<string> carried, List<string> notCarried, CancellationToken ct)
    {
        var wanted = await PrivilegesAsync(conn, from.Oid, ct).ConfigureAwait(false);
        var present = await PrivilegesAsync(conn, to.Oid, ct).ConfigureAwait(false);
        string Who(string grantee) => grantee == Owner ? SqlText.Ident(to.Owner) : grantee.Length == 0 ? "PUBLIC" : SqlText.Ident(grantee);
        string Label(string grantee) => grantee == Owner ? $"{to.Owner} (owner)" : grantee.Length == 0 ? "PUBLIC" : grantee;
        var db = SqlText.Ident(to.Name);
        var statements = new List<(string Sql, string What)>();
        foreach (var ((grantee, privilege), grantable) in present)
        {
            if (!wanted.TryGetValue((grantee, privilege), out bool want))
                statements.Add(($"REVOKE {privilege} ON DATABASE {db} FROM {Who(grantee)} CASCADE", $"revoke {privilege} from {Label(grantee)}"));
            else if (grantable && !want)
                statements.Add(($"REVOKE GRANT OPTION FOR {privilege} ON DATABASE {db} FROM {Who(grantee)} CASCADE", $"revoke grant option for {privilege} from {Label(grantee)}"));
        }
        foreach (var ((grantee, privilege), grantable) in wanted)
        {
            if (!present.TryGetValue((grantee, privilege), out bool has) || (grantable && !has))
                statements.Add(($"GRANT {privilege} ON DATABASE {db} TO {Who(grantee)}{(grantable ? " WITH GRANT OPTION" : "")}",
                    $"grant {privilege} to {Label(grantee)}{(grantable ? " with grant option" : "")}"));
        }
        foreach (var (sql, what) in statements)
        {
            if (await TryAsync(conn, sql, apply, ct).ConfigureAwait(false) is { } refusal)
                notCarried.Add($"{what}: {refusal}");
            else
                carried.Add(what);
        }
    }

    /// <summary>(grantee, privilege) to whether it is grantable; "" for PUBLIC, a marker for the database's owner.</summary>
    private static async Task<Dictionary<(string, string), bool>> PrivilegesAsync(NpgsqlConnection conn, uint oid, CancellationToken ct)
    {
        var result = new Dictionary<(string, string), bool>();
        await using var cmd = new NpgsqlCommand("""
            SELECT CASE WHEN a.grantee = 0 THEN '' ELSE pg_get_userbyid(a.grantee) END, a.grantee = d.datdba,
                   a.privilege_type, a.is_grantable
            FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
            WHERE d.oid = $1
            """, conn) { Parameters = { SwapCatalog.Oid(oid) } };
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            var key = (r.GetBoolean(1) ? Owner : r.GetString(0), r.GetString(2));
            result[key] = result.GetValueOrDefault(key) || r.GetBoolean(3);
        }
        return result;
    }
}
