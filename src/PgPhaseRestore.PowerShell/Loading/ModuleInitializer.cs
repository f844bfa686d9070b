using System.Management.Automation;

namespace PgPhaseRestore.PowerShell.Loading;

/// <summary>Import-Module runs this first: the engine and its dependencies load privately (see <see cref="DependencyIsolation"/>).</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnImport() => DependencyIsolation.Register();

    public void OnRemove(PSModuleInfo psModuleInfo) => DependencyIsolation.Unregister();
}
