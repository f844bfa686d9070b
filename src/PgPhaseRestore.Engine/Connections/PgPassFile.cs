using System.Text;

namespace PgPhaseRestore.Engine.Connections;

/// <summary>What a look-up in a libpq password file found, and why not when it found nothing.</summary>
internal sealed record PassFileLookup(string Path, string? Password, string Outcome);

/// <summary>
/// libpq's password file (~/.pgpass, PGPASSFILE, passfile=): lines host:port:database:user:password, "*" matching
/// anything, "\" escaping ":" and "\", the first matching line winning. As in libpq, a file that group or others may
/// read is ignored, and a host that is libpq's default socket directory is looked up as "localhost".
/// </summary>
internal static class PgPassFile
{
    /// <summary>The password file libpq would read: passfile= or PGPASSFILE, else ~/.pgpass (%APPDATA%\postgresql\pgpass.conf on Windows).</summary>
    public static string? PathFor(PgConnectionInfo info) =>
        info.Get("passfile") is { Length: > 0 } given ? given
        : OperatingSystem.IsWindows() ? (info.AppData is null ? null : Path.Combine(info.AppData, "postgresql", "pgpass.conf"))
        : info.Home is null ? null : Path.Combine(info.Home, ".pgpass");

    /// <summary>The password file's answer for the first server that has a line, or the last refusal (null without a file to read).</summary>
    public static PassFileLookup? LookUpPassFile(this PgConnectionInfo info)
    {
        if (PathFor(info) is not { } path)
            return null;
        PassFileLookup? last = null;
        foreach (var e in info.Endpoints)
        {
            // libpq looks a socket up by its directory, and as "localhost" when it is the default one.
            string[] names = e.IsSocket && e.DefaultSocket ? [e.Host, "localhost"] : [e.Host];
            last = Find(path, names, e.Port, info.EffectiveDatabase, info.EffectiveUser);
            if (last.Password is not null)
                return last;
        }
        return last;
    }

    public static PassFileLookup Find(string path, IReadOnlyList<string> hosts, string port, string database, string user)
    {
        if (Directory.Exists(path))
            return new(path, null, "is a folder, not a file");
        if (!File.Exists(path))
            return new(path, null, "does not exist");
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode groupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                               UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & groupOrOthers) != 0)
                return new(path, null, "ignored: group or others may read it (chmod 0600 it)");
        }
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new(path, null, $"cannot be read ({ex.Message})");
        }
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
                continue;
            var fields = Split(line);
            if (fields.Count < 5)
                continue;
            if (hosts.Any(h => Matches(fields[0], h)) && Matches(fields[1], port) && Matches(fields[2], database) && Matches(fields[3], user))
                return new(path, fields[4].Text, "matched");
        }
        return new(path, null, $"has no line for {string.Join(" or ", hosts)}:{port}:{database}:{user}");
    }

    private static bool Matches(Field field, string value) => field.Wildcard || field.Text == value;

    private readonly record struct Field(string Text, bool Wildcard);

    /// <summary>The four keys split on unescaped ":", then the password up to the next unescaped ":", all unescaped.</summary>
    private static List<Field> Split(string line)
    {
        var fields = new List<Field>();
        var current = new StringBuilder();
        bool escaped = false;
        int start = 0;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\\' && fields.Count < 4 && i + 1 < line.Length)
            {
                current.Append(line[++i]);
                escaped = true;
                continue;
            }
            if (c == ':' && fields.Count < 4)
            {
                fields.Add(new Field(current.ToString(), !escaped && i - start == 1 && line[start] == '*'));
                current.Clear();
                escaped = false;
                start = i + 1;
                continue;
            }
            if (c == ':')
                break; // an unescaped ":" ends the password, as in libpq
            if (c == '\\' && i + 1 < line.Length)
                c = line[++i];
            current.Append(c);
        }
        fields.Add(new Field(current.ToString(), false));
        return fields;
    }
}
