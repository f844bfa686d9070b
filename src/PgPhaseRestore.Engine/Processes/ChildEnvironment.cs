using System.Collections;
using System.Diagnostics;

namespace PgPhaseRestore.Engine.Processes;

/// <summary>
/// The environment a pg_dump or pg_restore child gets: only what libpq and the process itself need. The
/// host's own variables (DST_PGPASSWORD, SRC_PGPASSWORD, AWS_SECRET_ACCESS_KEY...) would otherwise be
/// readable in /proc/&lt;pid&gt;/environ of every child for as long as it runs.
/// </summary>
internal static class ChildEnvironment
{
    private static readonly HashSet<string> Kept = new(StringComparer.OrdinalIgnoreCase)
    {
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "LD_LIBRARY_PATH",
        "SYSTEMROOT", "WINDIR", "COMSPEC", "USERPROFILE", "APPDATA", "LOCALAPPDATA", "PATHEXT",
    };

    /// <summary>True for a variable a child keeps: the list above, locale settings, and libpq's PG* except the password.</summary>
    public static bool Keeps(string name) =>
        Kept.Contains(name) || name.StartsWith("LC_", StringComparison.Ordinal) ||
        (name.StartsWith("PG", StringComparison.OrdinalIgnoreCase) && !name.Equals("PGPASSWORD", StringComparison.OrdinalIgnoreCase));

    /// <summary>Replaces the start info's environment with the kept variables of this process.</summary>
    public static void Apply(ProcessStartInfo psi)
    {
        psi.Environment.Clear();
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if (e.Key is string name && e.Value is string value && Keeps(name))
                psi.Environment[name] = value;
        }
    }
}
