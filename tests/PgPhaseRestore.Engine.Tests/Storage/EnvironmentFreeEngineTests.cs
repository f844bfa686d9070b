using System.Reflection;
using PgPhaseRestore.Engine.Storage;

namespace PgPhaseRestore.Engine.Tests.Storage;

/// <summary>
/// Hosts resolve S3 settings once, from their parameters and the environment, and hand them to the engine; the
/// engine itself never falls back to the environment. Its compiled code is searched for calls to the one method
/// that reads the S3 variables.
/// </summary>
public sealed class EnvironmentFreeEngineTests
{
    [Fact]
    public void No_engine_method_calls_S3Settings_FromEnvironment()
    {
        var fromEnvironment = typeof(S3Settings).GetMethod(nameof(S3Settings.FromEnvironment))!;
        var token = BitConverter.GetBytes(fromEnvironment.MetadataToken);
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var callers = typeof(S3Settings).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(all).Cast<MethodBase>().Concat(t.GetConstructors(all)))
            .Where(m => m.GetMethodBody()?.GetILAsByteArray() is { } il && Calls(il, token))
            .Select(m => $"{m.DeclaringType!.FullName}.{m.Name}")
            .ToList();
        Assert.Empty(callers);
    }

    // A call, or a load for a delegate, of the method: its opcode followed by its token.
    private static bool Calls(byte[] il, byte[] token)
    {
        for (int i = 1; i + 4 <= il.Length; i++)
            if (il.AsSpan(i, 4).SequenceEqual(token) && il[i - 1] is 0x28 or 0x6F or 0x06)
                return true;
        return false;
    }
}
