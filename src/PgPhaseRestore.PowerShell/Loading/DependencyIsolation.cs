using System.Reflection;
using System.Runtime.Loader;

namespace PgPhaseRestore.PowerShell.Loading;

/// <summary>
/// Loads the engine, Npgsql, the AWS SDK and their dependencies from the module's Dependencies folder into a
/// private AssemblyLoadContext, so the module works beside AWS.Tools.* and other modules that load other
/// versions of the same assemblies. The cmdlet assembly references only the engine (never Npgsql or AWSSDK
/// types), and the engine is the one name answered here; everything it needs resolves inside the private context.
/// </summary>
internal static class DependencyIsolation
{
    public const string EngineAssembly = "PgPhaseRestore.Engine";
    public const string FolderName = "Dependencies";

    private static readonly object Gate = new();

    // Once made, the private context outlives Remove-Module: a context that is not collectible cannot unload what it
    // loaded, and the cmdlet assembly stays bound to the engine loaded there.
    private static DependencyLoadContext? _context;
    private static AssemblyLoadContext? _host;
    private static int _imports;

    /// <summary>Whether the engine is answered for now: registered more often than unregistered.</summary>
    public static bool IsRegistered
    {
        get
        {
            lock (Gate)
                return _host is not null;
        }
    }

    /// <summary>Registers for the module folder this assembly was loaded from; does nothing in a flat build output (no Dependencies folder).</summary>
    public static void Register()
    {
        var folder = Path.Combine(Path.GetDirectoryName(typeof(DependencyIsolation).Assembly.Location) ?? ".", FolderName);
        if (Directory.Exists(folder))
            Register(folder);
    }

    /// <summary>
    /// Called on every import: each runspace of ForEach-Object -Parallel imports the module itself, and
    /// Remove-Module then Import-Module imports it again into the same process. The private context is made once
    /// and kept; the resolver is hooked whenever it is not, and counted, so that one runspace removing the module
    /// does not take the engine away from the others.
    /// </summary>
    public static void Register(string dependenciesFolder)
    {
        lock (Gate)
        {
            _context ??= new DependencyLoadContext(dependenciesFolder);
            if (_imports++ > 0)
                return;
            // The context that loaded the cmdlets (the default one under PowerShell) asks here for the engine only.
            _host = AssemblyLoadContext.GetLoadContext(typeof(DependencyIsolation).Assembly) ?? AssemblyLoadContext.Default;
            _host.Resolving += ResolveEngine;
        }
    }

    /// <summary>Called on Remove-Module: the last removal unhooks the resolver; the context stays for the next import.</summary>
    public static void Unregister()
    {
        lock (Gate)
        {
            if (_imports == 0 || --_imports > 0)
                return;
            if (_host is not null)
                _host.Resolving -= ResolveEngine;
            _host = null;
        }
    }

    private static Assembly? ResolveEngine(AssemblyLoadContext requester, AssemblyName name) =>
        name.Name == EngineAssembly ? _context?.LoadFromAssemblyName(name) : null;

    private sealed class DependencyLoadContext(string folder) : AssemblyLoadContext("PgPhaseRestore.Dependencies")
    {
        protected override Assembly? Load(AssemblyName name)
        {
            // Framework assemblies come from the shared runtime; everything shipped in Dependencies comes from there.
            var path = Path.Combine(folder, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            var path = Path.Combine(folder, unmanagedDllName);
            return File.Exists(path) ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
        }
    }
}
