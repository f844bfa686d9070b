using System.Reflection;
using System.Runtime.Loader;

namespace PgPhaseRestore.PowerShell.Loading;

/// <summary>
/// Loads the engine, Npgsql, the AWS SDK and their dependencies from the module's Dependencies folder into a
/// private AssemblyLoadContext, so the module works beside AWS.Tools.* and other modules that load other
/// versions of the same assemblies. The cmdlet assembly references only the engine (never Npgsql or AWSSDK
/// types), and the engine is the one name answered here; everything it needs resolves inside the private context.
/// </summary>
public static class DependencyIsolation
{
    public const string EngineAssembly = "PgPhaseRestore.Engine";
    public const string FolderName = "Dependencies";

    private static readonly object Gate = new();
    private static DependencyLoadContext? _context;
    private static AssemblyLoadContext? _host;

    /// <summary>The private context, once registered.</summary>
    public static AssemblyLoadContext? Context => _context;

    /// <summary>Registers for the module folder this assembly was loaded from; does nothing in a flat build output (no Dependencies folder).</summary>
    public static void Register()
    {
        var folder = Path.Combine(Path.GetDirectoryName(typeof(DependencyIsolation).Assembly.Location) ?? ".", FolderName);
        if (Directory.Exists(folder))
            Register(folder);
    }

    public static void Register(string dependenciesFolder)
    {
        lock (Gate)
        {
            if (_context is not null)
                return;
            _context = new DependencyLoadContext(dependenciesFolder);
            // The context that loaded the cmdlets (the default one under PowerShell) asks here for the engine only.
            _host = AssemblyLoadContext.GetLoadContext(typeof(DependencyIsolation).Assembly) ?? AssemblyLoadContext.Default;
            _host.Resolving += ResolveEngine;
        }
    }

    public static void Unregister()
    {
        lock (Gate)
        {
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
