using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;

namespace PgPhaseRestore.PowerShell.Loader;

/// <summary>
/// The module's own AssemblyLoadContext: the cmdlet assembly, the engine, Npgsql, the AWS SDK and everything else in
/// the module's bin folder load here, from that folder first. Another module's AWSSDK.Core 3.7 or Npgsql 8 in the
/// session's default context is never seen by the cmdlets, and theirs never by it. PowerShell's own assemblies (and
/// the framework) are not in the folder and resolve from the default context, so cmdlets bind as usual.
/// </summary>
public sealed class ModuleLoadContext : AssemblyLoadContext
{
    /// <summary>The cmdlet assembly's file name in the bin folder.</summary>
    public const string CmdletAssembly = "PgPhaseRestore.PowerShell.dll";

    // One context per cmdlet assembly identity (name and version) for the life of the process: Remove-Module cannot
    // unload assemblies, every runspace (ForEach-Object -Parallel, runbook jobs) that imports the module must get
    // the same cmdlet types, and PowerShell caches a cmdlet's parameter metadata by its assembly-qualified type name:
    // a second copy of the same version, from another folder, would be a second type under the same name, and
    // every cmdlet would then fail to bind ("[A] cannot be cast to [B]"). The first copy loaded serves them all;
    // another version is another name, in a context of its own.
    private static readonly ConcurrentDictionary<string, Lazy<ModuleLoadContext>> Contexts = new(StringComparer.Ordinal);

    private readonly string _folder;

    private ModuleLoadContext(string folder) : base("PgPhaseRestore", isCollectible: false)
    {
        _folder = folder;
        Cmdlets = LoadFromAssemblyPath(Path.Combine(folder, CmdletAssembly));
    }

    /// <summary>The cmdlet assembly, loaded in this context.</summary>
    public Assembly Cmdlets { get; }

    /// <summary>The folder everything here loads from.</summary>
    public string Folder => _folder;

    /// <summary>
    /// The cmdlet assembly of the module whose bin folder is <paramref name="binFolder"/>, loaded once per process
    /// and version: when the same version is already loaded from another folder, that copy (its location says where).
    /// </summary>
    public static Assembly Initialize(string binFolder)
    {
        var folder = Path.GetFullPath(binFolder);
        var identity = AssemblyName.GetAssemblyName(Path.Combine(folder, CmdletAssembly)).FullName;
        return Contexts.GetOrAdd(identity, _ => new Lazy<ModuleLoadContext>(() => new ModuleLoadContext(folder))).Value.Cmdlets;
    }

    /// <inheritdoc />
    protected override Assembly? Load(AssemblyName assemblyName)
    {
        // The loader itself stays the default context's copy, so there is one ModuleLoadContext type.
        if (assemblyName.Name == typeof(ModuleLoadContext).Assembly.GetName().Name)
            return typeof(ModuleLoadContext).Assembly;
        var path = Path.Combine(_folder, assemblyName.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    /// <inheritdoc />
    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = Path.Combine(_folder, unmanagedDllName);
        return File.Exists(path) ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
    }
}
