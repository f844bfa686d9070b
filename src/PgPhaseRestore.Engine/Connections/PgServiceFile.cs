namespace PgPhaseRestore.Engine.Connections;

/// <summary>
/// libpq's connection service file: [name] sections of keyword=value lines, looked up first in the user's file
/// (PGSERVICEFILE, else ~/.pg_service.conf) and, when the service is not there, in PGSYSCONFDIR/pg_service.conf
/// (Debian's libpq uses /etc/postgresql-common when PGSYSCONFDIR is not set).
/// </summary>
internal static class PgServiceFile
{
    public const string DefaultSysConfDir = "/etc/postgresql-common";

    /// <summary>The files searched, in order, with the environment given (for lookups and for error messages).</summary>
    public static IReadOnlyList<string> Candidates(Func<string, string?> getenv)
    {
        var files = new List<string>();
        if (getenv("PGSERVICEFILE") is { Length: > 0 } userFile)
            files.Add(userFile);
        else if (getenv("HOME") is { Length: > 0 } home)
            files.Add(Path.Combine(home, ".pg_service.conf"));
        files.Add(Path.Combine(getenv("PGSYSCONFDIR") is { Length: > 0 } dir ? dir : DefaultSysConfDir, "pg_service.conf"));
        return files;
    }

    /// <summary>The keywords of the service, and the file that defines it; refused when no file does.</summary>
    public static (IReadOnlyList<KeyValuePair<string, string>> Values, string File) Read(string service, Func<string, string?> getenv)
    {
        var searched = Candidates(getenv);
        foreach (var file in searched)
        {
            if (!File.Exists(file))
                continue;
            if (Section(file, service) is { } values)
                return (values, file);
        }
        throw new PgPhaseException($"service \"{service}\": no [{service}] section in {string.Join(" or ", searched)}", PgPhaseErrorCode.InvalidInput);
    }

    private static List<KeyValuePair<string, string>>? Section(string file, string service)
    {
        List<KeyValuePair<string, string>>? found = null;
        bool inside = false;
        int number = 0;
        foreach (var raw in File.ReadLines(file))
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            if (line[0] == '[')
            {
                if (found is not null)
                    return found; // the first section of that name is the one libpq uses
                inside = line.EndsWith(']') && line[1..^1] == service;
                if (inside)
                    found = [];
                continue;
            }
            if (!inside)
                continue;
            int eq = line.IndexOf('=');
            if (eq <= 0)
                throw new PgPhaseException($"{file}, line {number}: not keyword=value", PgPhaseErrorCode.InvalidInput); // the line itself may hold a secret
            var key = line[..eq].Trim();
            if (key == "service")
                throw new PgPhaseException($"{file}, line {number}: a service cannot name another service", PgPhaseErrorCode.InvalidInput);
            found!.Add(new(key, line[(eq + 1)..].Trim()));
        }
        return found;
    }
}
