using PgPhaseRestore.Engine.Archive;
using PgPhaseRestore.Engine.Connections;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Engine.Restore;

/// <summary>pg_restore's command line for one phase, beside the pg_dump one the backup builds.</summary>
internal static class PgRestoreArguments
{
    /// <summary>
    /// Parallel jobs apply to the data phase of a seekable custom or directory archive; a tar archive or one
    /// streamed on standard input is read front to back by one process.
    /// </summary>
    public static int JobsFor(RestorePhase phase, RestoreOptions options, bool streamed) =>
        phase.Kind == PhaseKind.Data && phase.Archive.Format != ArchiveFormat.Tar && !streamed ? Math.Max(1, options.Jobs) : 1;

    public static List<string> Build(RestorePhase phase, RestoreOptions options, string listFile, int jobs, bool streamed)
    {
        var args = new List<string> { "-d", options.Target.ToLibpqString(), "-L", listFile, "-v" };
        if (phase.Kind == PhaseKind.Data)
        {
            if (options.StopOnError)
                args.Add("--exit-on-error");
            if (jobs > 1)
                args.AddRange(["-j", jobs.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }
        else if (options.StopOnError)
        {
            // All or nothing: an interrupted schema, index or post-data phase leaves nothing to clean up.
            args.Add("--single-transaction");
        }
        AddOwnership(args, options);
        if (!streamed)
            args.Add(phase.Archive.Source);
        return args;
    }

    /// <summary>One entry in a transaction of its own (a late index build), with the phases' ownership and role.</summary>
    public static List<string> ForEntry(RestoreOptions options, string listFile, string? source)
    {
        var args = new List<string> { "-d", options.Target.ToLibpqString(), "-L", listFile, "-v", "--single-transaction", "--exit-on-error" };
        AddOwnership(args, options);
        if (source is not null)
            args.Add(source);
        return args;
    }

    private static void AddOwnership(List<string> args, RestoreOptions options)
    {
        if (options.NoOwner)
            args.Add("--no-owner");
        if (options.NoPrivileges)
            args.Add("--no-privileges");
        if (!string.IsNullOrEmpty(options.Role))
            args.Add("--role=" + options.Role);
    }

    /// <summary>The environment of a phase's pg_restore: its session name (how later runs recognise it) and the session settings.</summary>
    public static Dictionary<string, string> Environment(RestoreOptions options, int phase)
    {
        var env = new Dictionary<string, string> { ["PGAPPNAME"] = StaleSessions.ApplicationName(phase) };
        if (SessionOptions(options) is { } pgOptions)
            env["PGOPTIONS"] = pgOptions;
        return env;
    }

    /// <summary>PGOPTIONS for the session settings, each value escaped as libpq's options parser expects.</summary>
    public static string? SessionOptions(RestoreOptions options) => options.SessionSettings.Count == 0 ? null :
        string.Join(' ', options.SessionSettings.Select(kv => $"-c {kv.Key}={kv.Value.Replace("\\", "\\\\").Replace(" ", "\\ ")}"));
}
