using Npgsql;
using PgPhaseRestore.Engine.Tests.Rigs;
using PgPhaseRestore.TestRigs;

namespace PgPhaseRestore.Engine.Tests.Swap;

/// <summary>
/// Last night's backup (the kitchen-sink source dumped in custom format) and the roles of a managed platform: an
/// owner with only LOGIN and CREATEDB, who owns the live databases and does the restores and swaps, and an
/// application role whose sessions the owner may end (it is a member of that role). Journals stay in a temp folder.
/// </summary>
public sealed class SwapFixture : IDisposable
{
    private readonly TempDir _dir = new("pgphase-swap-");

    public SwapFixture(Services services)
    {
        Cluster = services.Postgres;
        Source = SampleDatabases.CreateKitchenSink(Cluster, "nightly");
        DumpPath = _dir.File("nightly.dump");
        PgDump.Dump(Cluster, Source, DumpPath, "-Fc");
        var id = Guid.NewGuid().ToString("N")[..8];
        Owner = "owner_" + id;
        OwnerPassword = "Own-" + Guid.NewGuid().ToString("N")[..12] + ":x\\y";
        AppUser = "app_user_" + id;
        AppPassword = "App-" + Guid.NewGuid().ToString("N")[..12];
        Cluster.Execute("postgres", $"CREATE ROLE {Owner} LOGIN CREATEDB PASSWORD '{OwnerPassword}'");
        Cluster.Execute("postgres", $"CREATE ROLE {AppUser} LOGIN PASSWORD '{AppPassword}'; GRANT {AppUser} TO {Owner}");
        JournalDir = _dir.File("journals");
    }

    public PostgresCluster Cluster { get; }
    public string Source { get; }
    public string DumpPath { get; }
    public string Owner { get; }
    public string OwnerPassword { get; }
    public string AppUser { get; }
    public string AppPassword { get; }
    public string JournalDir { get; }

    public string NewName(string prefix = "app") => $"{prefix}_{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// Today's broken database: the same schema as the backup with different rows, owned by the owner role, with
    /// database settings, a comment, grants and a connection limit an operator would have set.
    /// </summary>
    public string CreateLive()
    {
        var name = NewName();
        Cluster.Execute("postgres", $"CREATE DATABASE {name} OWNER {Owner} TEMPLATE template0 ENCODING 'UTF8'");
        Cluster.Execute(name, File.ReadAllText(SampleDatabases.SqlFile("kitchen-sink.sql")));
        Cluster.Execute(name, "INSERT INTO app.legacy VALUES (4, 7, 'written today'); UPDATE app.customer SET note = 'broken by today''s deploy' WHERE id < 50; DELETE FROM app.booking WHERE id > 150");
        Cluster.Execute("postgres", $"""
            ALTER DATABASE {name} SET work_mem = '7MB';
            ALTER DATABASE {name} SET search_path = "$user", public, app;
            ALTER DATABASE {name} CONNECTION LIMIT 40;
            COMMENT ON DATABASE {name} IS 'orders, EU region';
            REVOKE CONNECT, TEMPORARY ON DATABASE {name} FROM PUBLIC;
            GRANT CONNECT ON DATABASE {name} TO {AppUser};
            """);
        return name;
    }

    /// <summary>A small database owned by the owner role.</summary>
    public string CreateOwned(string prefix, string sql)
    {
        var name = NewName(prefix);
        Cluster.Execute("postgres", $"CREATE DATABASE {name} OWNER {Owner} TEMPLATE template0");
        Cluster.Execute(name, sql);
        return name;
    }

    /// <summary>pgphase's environment as operators set it: the owner's connection, the password out of the argument list, journals here.</summary>
    public Dictionary<string, string?> Environment(string database) => new()
    {
        ["DST_PGHOST"] = Cluster.Host, ["DST_PGPORT"] = Cluster.Port.ToString(), ["DST_PGUSER"] = Owner,
        ["DST_PGPASSWORD"] = OwnerPassword, ["DST_DBNAME"] = database,
        ["PGPASSWORD"] = null, ["PGHOST"] = null, ["PGUSER"] = null, ["PGDATABASE"] = null,
        ["PGPHASE_JOURNAL_DIR"] = JournalDir,
    };

    /// <summary>An application session on a database, as the application role.</summary>
    public NpgsqlConnection OpenAsApp(string database, string application)
    {
        var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = Cluster.Host, Port = Cluster.Port, Username = AppUser, Password = AppPassword, Database = database,
            ApplicationName = application, Pooling = false,
        }.ConnectionString);
        conn.Open();
        return conn;
    }

    public static int BackendPid(NpgsqlConnection conn)
    {
        using var cmd = new NpgsqlCommand("SELECT pg_backend_pid()", conn);
        return (int)cmd.ExecuteScalar()!;
    }

    public long Oid(string database) => Cluster.Scalar<long>("postgres", $"SELECT oid::bigint FROM pg_database WHERE datname = '{database}'");

    public bool Exists(string database) => Cluster.Scalar<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{database}'") == 1;

    public List<string> NamesStartingWith(string prefix)
    {
        using var conn = Cluster.Open();
        using var cmd = new NpgsqlCommand("SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1 ORDER BY datname", conn) { Parameters = { new() { Value = prefix } } };
        using var r = cmd.ExecuteReader();
        var names = new List<string>();
        while (r.Read())
            names.Add(r.GetString(0));
        return names;
    }

    /// <summary>What a database shows clients from outside: settings, comment, grants (owner spelled out), connection settings.</summary>
    public DatabaseOutside Outside(string database)
    {
        using var conn = Cluster.Open();
        using var cmd = new NpgsqlCommand("""
            SELECT coalesce((SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0), '{}'),
                   shobj_description(d.oid, 'pg_database'),
                   ARRAY(SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' WHEN a.grantee = d.datdba THEN 'OWNER' ELSE pg_get_userbyid(a.grantee) END
                                || ' ' || a.privilege_type || CASE WHEN a.is_grantable THEN ' grantable' ELSE '' END
                         FROM aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a ORDER BY 1),
                   d.datallowconn, d.datconnlimit
            FROM pg_database d WHERE d.datname = $1
            """, conn) { Parameters = { new() { Value = database } } };
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read(), $"database {database} does not exist");
        return new DatabaseOutside(string.Join("; ", r.GetFieldValue<string[]>(0)), r.IsDBNull(1) ? null : r.GetString(1),
            string.Join("; ", r.GetFieldValue<string[]>(2)), r.GetBoolean(3), r.GetInt32(4));
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>A database as clients see it from outside, comparable by value.</summary>
public sealed record DatabaseOutside(string Settings, string? Comment, string Grants, bool AllowConnections, int ConnectionLimit);
