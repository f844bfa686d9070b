using System.Reflection;
using System.Runtime.Loader;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// The cmdlet assembly from the build output, loaded to run, beside its engine, with System.Management.Automation
/// from the test's own folder; collectible, one per test.
/// </summary>
internal sealed class BuildOutputContext(string folder) : AssemblyLoadContext("cmdlets", isCollectible: true)
{
    public static Assembly LoadCmdlets(string moduleDirectory) =>
        new BuildOutputContext(moduleDirectory).LoadFromAssemblyPath(Path.Combine(moduleDirectory, "PgPhaseRestore.PowerShell.dll"));

    protected override Assembly? Load(AssemblyName name)
    {
        var path = Path.Combine(folder, name.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
