using System.Reflection;
using System.Runtime.InteropServices;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// The compiled cmdlet assembly, loaded for inspection only (MetadataLoadContext): what PowerShell will see,
/// without running any of it.
/// </summary>
public sealed class CmdletMetadata : IDisposable
{
    public CmdletMetadata()
    {
        RepoRoot = FindRepoRoot();
        var moduleDir = Directory.GetDirectories(Path.Combine(RepoRoot, "src", "PgPhaseRestore.PowerShell", "bin"), "net8.0", SearchOption.AllDirectories)
            .Where(d => File.Exists(Path.Combine(d, "PgPhaseRestore.PowerShell.dll")))
            .OrderByDescending(d => File.GetLastWriteTimeUtc(Path.Combine(d, "PgPhaseRestore.PowerShell.dll")))
            .First();
        ModuleDirectory = moduleDir;
        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Concat(Directory.GetFiles(moduleDir, "*.dll"))
            .Append(Path.Combine(AppContext.BaseDirectory, "System.Management.Automation.dll"))
            .GroupBy(Path.GetFileName).Select(g => g.First());
        Context = new MetadataLoadContext(new PathAssemblyResolver(paths), "System.Private.CoreLib");
        Assembly = Context.LoadFromAssemblyPath(Path.Combine(moduleDir, "PgPhaseRestore.PowerShell.dll"));
        var cmdletAttribute = Context.LoadFromAssemblyName("System.Management.Automation").GetType("System.Management.Automation.CmdletAttribute")!;
        Cmdlets = Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.GetCustomAttributesData().Any(a => a.AttributeType == cmdletAttribute))
            .ToDictionary(t =>
            {
                var a = t.GetCustomAttributesData().Single(x => x.AttributeType == cmdletAttribute);
                return $"{a.ConstructorArguments[0].Value}-{a.ConstructorArguments[1].Value}";
            });
    }

    public string RepoRoot { get; }
    public string ModuleDirectory { get; }
    public MetadataLoadContext Context { get; }
    public Assembly Assembly { get; }
    public IReadOnlyDictionary<string, Type> Cmdlets { get; }

    public Type Sma(string name) => Context.LoadFromAssemblyName("System.Management.Automation").GetType("System.Management.Automation." + name)!;

    public CustomAttributeData? Attribute(MemberInfo member, string smaName) =>
        member.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation." + smaName);

    public IEnumerable<CustomAttributeData> Attributes(MemberInfo member, string smaName) =>
        member.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation." + smaName);

    public static object? Named(CustomAttributeData a, string name) =>
        a.NamedArguments.FirstOrDefault(n => n.MemberName == name).TypedValue.Value;

    /// <summary>Parameters of a cmdlet: public properties carrying [Parameter], inherited ones included.</summary>
    public IEnumerable<PropertyInfo> Parameters(Type cmdlet) =>
        cmdlet.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => Attribute(p, "ParameterAttribute") is not null);

    public IEnumerable<string> NamesAndAliases(PropertyInfo p) =>
        new[] { p.Name }.Concat(Attributes(p, "AliasAttribute").SelectMany(a =>
            ((IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!).Select(v => (string)v.Value!)));

    internal static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PgPhaseRestore.psd1")))
                return dir.FullName;
        throw new InvalidOperationException("PgPhaseRestore.psd1 was not found above the test binaries");
    }

    public void Dispose() => Context.Dispose();
}
