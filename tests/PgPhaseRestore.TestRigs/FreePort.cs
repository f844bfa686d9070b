using PgPhaseRestore.Demo;

namespace PgPhaseRestore.TestRigs;

public static class FreePort
{
    /// <summary>A loopback port free right now (the OS picks it).</summary>
    public static int Next() => LoopbackPort.Free();

    public static bool Accepts(int port) => LoopbackPort.Accepts(port);
}
