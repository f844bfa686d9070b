using System.CommandLine;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>
/// --quiet (no progress or messages; PGPHASE_QUIET, or SHOW_PROGRESS=false) and --debug (pg_dump/pg_restore output and every step;
/// PGPHASE_DEBUG). Messages go to stderr so stdout stays parseable. Secrets never reach either: the engine
/// passes passwords through a password file and keys only to the S3 client.
/// </summary>
internal sealed class OutputOptions
{
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "No progress or messages, only the result (default: PGPHASE_QUIET)" };
    public Option<bool> Debug { get; } = new("--debug") { Description = "Also show the tools' own output and each step (default: PGPHASE_DEBUG)" };

    public void AddTo(Command command)
    {
        command.Options.Add(Quiet);
        command.Options.Add(Debug);
    }

    public (Action<string>? Log, Action<string>? Debug, bool Quiet) Read(ParseResult r)
    {
        // SHOW_PROGRESS=false is how the seed scripts were quietened.
        bool quiet = r.GetValue(Quiet) || IsTrue("PGPHASE_QUIET") || Environment.GetEnvironmentVariable("SHOW_PROGRESS") is "0" or "false" or "no";
        bool debug = !quiet && (r.GetValue(Debug) || IsTrue("PGPHASE_DEBUG"));
        Action<string>? log = quiet ? null : m => Console.Error.WriteLine(m);
        Action<string>? dbg = debug ? m => Console.Error.WriteLine("debug: " + m) : null;
        return (log, dbg, quiet);
    }

    private static bool IsTrue(string variable) => Environment.GetEnvironmentVariable(variable) is "1" or "true" or "yes";
}
