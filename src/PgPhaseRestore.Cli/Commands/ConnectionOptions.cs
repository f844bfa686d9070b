using System.CommandLine;
using PgPhaseRestore.Engine;
using PgPhaseRestore.Engine.Connections;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>
/// A connection given as a libpq string or URI; what it leaves out comes from the earlier scripts' variables
/// (DST_PGHOST, DST_PGPORT, DST_PGUSER, DST_PGPASSWORD, DST_DBNAME, or SRC_* for sources), then PG*.
/// Passwords belong in those variables or a password file, not on the command line.
/// </summary>
internal static class ConnectionOptions
{
    private const string Generic = "connection string: ";

    public static Option<string?> Create(string name, string description) => new(name) { Description = description };

    /// <summary>
    /// The connection <paramref name="conninfo"/> names; <paramref name="option"/> (the option it was given with)
    /// is named by a string that cannot be read, as a copy or a restore with a size source takes two.
    /// </summary>
    public static PgConnectionInfo Read(string? conninfo, string prefix, Option<string?> option)
    {
        try
        {
            return Read(conninfo, prefix);
        }
        // What the string itself got wrong; a variable's own mistake ("the PGPORT variable: ...") already says where.
        catch (PgPhaseException ex) when (ex.Kind == PgPhaseErrorKind.InvalidInput &&
                                          (ex.Message.StartsWith(Generic, StringComparison.Ordinal) || (conninfo is { Length: > 0 } && ex.Message.StartsWith(conninfo, StringComparison.Ordinal))))
        {
            var said = ex.Message.StartsWith(Generic, StringComparison.Ordinal) ? ex.Message[Generic.Length..] : ex.Message;
            throw PgPhaseException.Restated($"{option.Name}: {said}", ex);
        }
    }

    private static PgConnectionInfo Read(string? conninfo, string prefix)
    {
        string? Env(string key) => Environment.GetEnvironmentVariable(key);
        var info = PgConnectionInfo.Parse(conninfo, key => key switch
        {
            "PGHOST" => Env(prefix + "PGHOST") ?? Env("PGHOST"),
            "PGPORT" => Env(prefix + "PGPORT") ?? Env("PGPORT"),
            "PGUSER" => Env(prefix + "PGUSER") ?? Env("PGUSER"),
            "PGPASSWORD" => Env(prefix + "PGPASSWORD") ?? Env("PGPASSWORD"),
            "PGDATABASE" => Env(prefix + "DBNAME") ?? Env("PGDATABASE"),
            _ => Env(key),
        }, $"{prefix}PGPASSWORD or PGPASSWORD");
        return info;
    }
}
