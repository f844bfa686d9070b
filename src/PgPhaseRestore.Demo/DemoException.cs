namespace PgPhaseRestore.Demo;

/// <summary>
/// The demo cannot run here: a program it needs is missing or failed (initdb, pg_ctl, node, s3rver), or an option is
/// out of range. The machine's or the caller's problem, named; never a bug of the engine.
/// </summary>
public sealed class DemoException : Exception
{
    internal DemoException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
