using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// The engine's public types and the documentation ids of their visible members (public or protected), and the
/// engine types each host assembly references, read from the built assemblies without running them. The surface
/// itself is declared in PublicAPI.Shipped.txt and checked by the public API analyzer at build time.
/// </summary>
public sealed class PublicApiSurface : IDisposable
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    public PublicApiSurface()
    {
        RepoRoot = CmdletMetadata.FindRepoRoot();
        // The CLI's output folder holds the engine with everything it references.
        CliDirectory = NewestBuild(Path.Combine(RepoRoot, "src", "PgPhaseRestore.Cli", "bin"), "pgphase.dll");
        ModuleDirectory = NewestBuild(Path.Combine(RepoRoot, "src", "PgPhaseRestore.PowerShell", "bin"), "PgPhaseRestore.PowerShell.dll");
        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll").Concat(Directory.GetFiles(CliDirectory, "*.dll"))
            .GroupBy(Path.GetFileName).Select(g => g.First());
        Context = new MetadataLoadContext(new PathAssemblyResolver(paths), "System.Private.CoreLib");
        Engine = Context.LoadFromAssemblyPath(Path.Combine(CliDirectory, "PgPhaseRestore.Engine.dll"));
    }

    public string RepoRoot { get; }
    public string CliDirectory { get; }
    public string ModuleDirectory { get; }
    public MetadataLoadContext Context { get; }
    public Assembly Engine { get; }

    /// <summary>Public types no host references, each with the reason it is public all the same.</summary>
    public string OnPurposeFile => Path.Combine(RepoRoot, "src", "PgPhaseRestore.Engine", "PublicAPI.OnPurpose.txt");

    public IEnumerable<Type> PublicTypes() => Engine.GetTypes().Where(t => t.IsVisible);

    /// <summary>
    /// The documentation id (as the compiler writes it in the XML doc file) of every public type and visible member the
    /// source declares; members the compiler makes (for records, implicit constructors) are left out, as it documents none of them.
    /// </summary>
    public IEnumerable<string> DocumentationIds()
    {
        foreach (var t in PublicTypes())
        {
            var type = DocName(t);
            yield return "T:" + type;
            foreach (var m in t.GetMembers(Declared).Where(IsVisible))
            {
                if (m.CustomAttributes.Any(a => a.AttributeType.Name == "CompilerGeneratedAttribute") || m is MethodInfo { IsSpecialName: true } and not { Name: ['o', 'p', '_', ..] })
                    continue;
                if (m is FieldInfo { IsSpecialName: true })
                    continue; // an enum's value__
                if (m is ConstructorInfo { IsStatic: false } implicitCandidate && implicitCandidate.GetParameters().Length == 0)
                    continue; // the implicit constructor of an options or result class: nothing in the source to document
                yield return m switch
                {
                    ConstructorInfo c => $"M:{type}.#ctor{DocParameters(c.GetParameters())}",
                    MethodInfo method => $"M:{type}.{method.Name}{(method.IsGenericMethodDefinition ? "``" + method.GetGenericArguments().Length : "")}{DocParameters(method.GetParameters())}",
                    PropertyInfo p => $"P:{type}.{p.Name}{DocParameters(p.GetIndexParameters())}",
                    FieldInfo f => $"F:{type}.{f.Name}",
                    EventInfo e => $"E:{type}.{e.Name}",
                    _ => throw new InvalidOperationException(m.ToString()),
                };
            }
        }
    }

    private static string DocParameters(ParameterInfo[] parameters) =>
        parameters.Length == 0 ? "" : "(" + string.Join(",", parameters.Select(p => DocName(p.ParameterType))) + ")";

    private static string DocName(Type t)
    {
        if (t.IsByRef)
            return DocName(t.GetElementType()!) + "@";
        if (t.IsArray)
            return DocName(t.GetElementType()!) + "[]";
        if (t.IsGenericParameter)
            return (t.DeclaringMethod is null ? "`" : "``") + t.GenericParameterPosition;
        if (t.IsGenericType && !t.IsGenericTypeDefinition)
        {
            var definition = DocName(t.GetGenericTypeDefinition());
            return definition[..definition.LastIndexOf('`')] + "{" + string.Join(",", t.GetGenericArguments().Select(DocName)) + "}";
        }
        return t.FullName!.Replace('+', '.');
    }

    /// <summary>Engine types (by full name, nested with '+') that the CLI or the cmdlet assembly references.</summary>
    public IReadOnlySet<string> TypesUsedByHosts() =>
        new[] { Path.Combine(CliDirectory, "pgphase.dll"), Path.Combine(ModuleDirectory, "PgPhaseRestore.PowerShell.dll") }
            .SelectMany(EngineTypeReferences).ToHashSet();

    private static IEnumerable<string> EngineTypeReferences(string assembly)
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        var reader = pe.GetMetadataReader();
        var found = new List<string>();
        foreach (var handle in reader.TypeReferences)
            if (ReferenceName(reader, handle, out var scope) is var name && scope == "PgPhaseRestore.Engine")
                found.Add(name);
        return found;
    }

    private static string ReferenceName(MetadataReader reader, TypeReferenceHandle handle, out string? scope)
    {
        var type = reader.GetTypeReference(handle);
        var name = reader.GetString(type.Name);
        scope = null;
        if (type.ResolutionScope.Kind == HandleKind.TypeReference)
            return ReferenceName(reader, (TypeReferenceHandle)type.ResolutionScope, out scope) + "+" + name;
        if (type.ResolutionScope.Kind == HandleKind.AssemblyReference)
            scope = reader.GetString(reader.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope).Name);
        var ns = reader.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    private static bool IsVisible(MemberInfo m) => m switch
    {
        MethodBase b => b.IsPublic || b.IsFamily || b.IsFamilyOrAssembly,
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        PropertyInfo p => p.GetAccessors(nonPublic: true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
        EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily),
        _ => false, // nested types are listed as types of their own
    };

    private static string NewestBuild(string bin, string file) =>
        Directory.GetDirectories(bin, "net8.0", SearchOption.AllDirectories)
            .Where(d => File.Exists(Path.Combine(d, file)))
            .OrderByDescending(d => File.GetLastWriteTimeUtc(Path.Combine(d, file)))
            .First();

    public void Dispose() => Context.Dispose();
}
