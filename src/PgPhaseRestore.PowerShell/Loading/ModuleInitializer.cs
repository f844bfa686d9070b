using System.Management.Automation;

namespace PgPhaseRestore.PowerShell.Loading;

/// <summary>Import-Module runs this first: the engine and its dependencies load privately (see <see cref="DependencyIsolation"/>).</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    /// <summary>Import-Module: the engine resolves from the module's private load context.</summary>
    public void OnImport() => DependencyIsolation.Register();

    /// <summary>Remove-Module: the engine is no longer answered for this import.</summary>
    public void OnRemove(PSModuleInfo psModuleInfo) => DependencyIsolation.Unregister();
}
