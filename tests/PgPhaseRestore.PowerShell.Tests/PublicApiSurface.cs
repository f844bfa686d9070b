using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// The engine's public surface as text, one line per type and per visible member (public or protected), and the
/// engine types each host assembly references, read from the built assemblies without running them.
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

    /// <summary>The baseline of the surface, kept beside the engine's project.</summary>
    public string ShippedFile => Path.Combine(RepoRoot, "src", "PgPhaseRestore.Engine", "PublicAPI.Shipped.txt");

    /// <summary>Public types no host references, each with the reason it is public all the same.</summary>
    public string OnPurposeFile => Path.Combine(RepoRoot, "src", "PgPhaseRestore.Engine", "PublicAPI.OnPurpose.txt");

    public IEnumerable<Type> PublicTypes() => Engine.GetTypes().Where(t => t.IsVisible);

    /// <summary>Every public type and visible member, sorted, in a C#-like notation.</summary>
    public IReadOnlyList<string> Lines()
    {
        var lines = new List<string>();
        foreach (var t in PublicTypes())
        {
            var name = Render(t);
            lines.Add($"{name}: {Describe(t)}");
            foreach (var m in t.GetMembers(Declared).Where(IsVisible).Select(Member).Where(m => m is not null))
                lines.Add($"{name}: {m}");
        }
        return lines.Order(StringComparer.Ordinal).ToList();
    }

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

    private static string Describe(Type t)
    {
        if (t.IsEnum)
            return "enum";
        if (t.IsInterface)
            return "interface";
        if (t.BaseType?.FullName == "System.MulticastDelegate")
            return "delegate";
        var kind = t.IsValueType ? "struct" : t.GetMethod("<Clone>$") is not null ? "record" : "class";
        var modifiers = t.IsAbstract && t.IsSealed ? "static " : t.IsAbstract ? "abstract " : t.IsSealed && !t.IsValueType ? "sealed " : "";
        var baseType = t.BaseType is { FullName: not ("System.Object" or "System.ValueType") } b ? " : " + Render(b) : "";
        return modifiers + kind + baseType;
    }

    private static string? Member(MemberInfo m) => m switch
    {
        ConstructorInfo c => $"{Access(c)}{(c.IsStatic ? "static " : "")}.ctor({Parameters(c)})",
        MethodInfo method when method.IsSpecialName && !method.Name.StartsWith("op_", StringComparison.Ordinal) => null, // accessors
        MethodInfo method => $"{Access(method)}{Modifiers(method)}{Render(method.ReturnType)} {method.Name}{Generic(method)}({Parameters(method)})",
        PropertyInfo p => $"{(p.CustomAttributes.Any(a => a.AttributeType.Name == "RequiredMemberAttribute") ? "required " : "")}{Render(p.PropertyType)} " +
                          $"{(p.GetIndexParameters().Length > 0 ? $"this[{Parameters(p.GetIndexParameters())}]" : p.Name)} {{ {Accessors(p)} }}",
        FieldInfo f when f.DeclaringType!.IsEnum => f.IsSpecialName ? null : $"{f.Name} = {f.GetRawConstantValue()}",
        FieldInfo f => $"{Access(f)}{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{Render(f.FieldType)} {f.Name}" +
                       (f.IsLiteral ? $" = {Literal(f.GetRawConstantValue())}" : ""),
        EventInfo e => $"event {Render(e.EventHandlerType!)} {e.Name}",
        _ => null,
    };

    private static string Access(MethodBase m) => m.IsPublic ? "" : "protected ";
    private static string Access(FieldInfo f) => f.IsPublic ? "" : "protected ";

    // A virtual method with a slot of its own is new here; without one it overrides (final: an interface's, or sealed).
    private static string Modifiers(MethodInfo m) =>
        (m.IsStatic ? "static " : "") + (m.IsAbstract ? "abstract " : !m.IsVirtual ? "" :
            (m.Attributes & MethodAttributes.NewSlot) != 0 ? (m.IsFinal ? "" : "virtual ") : m.IsFinal ? "sealed override " : "override ");

    private static string Generic(MethodInfo m) => m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";

    private static string Accessors(PropertyInfo p)
    {
        var parts = new List<string>();
        if (p.GetMethod is { } get && (get.IsPublic || get.IsFamily))
            parts.Add((get.IsPublic ? "" : "protected ") + "get;");
        if (p.SetMethod is { } set && (set.IsPublic || set.IsFamily))
        {
            bool init = set.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.Name == "IsExternalInit");
            parts.Add((set.IsPublic ? "" : "protected ") + (init ? "init;" : "set;"));
        }
        return string.Join(' ', parts);
    }

    private static string Parameters(MethodBase m) => Parameters(m.GetParameters());

    private static string Parameters(ParameterInfo[] parameters) => string.Join(", ", parameters.Select(p =>
    {
        var type = p.ParameterType.IsByRef ? (p.IsOut ? "out " : p.IsIn ? "in " : "ref ") + Render(p.ParameterType.GetElementType()!) : Render(p.ParameterType);
        // A struct's default (a CancellationToken's, say) is stored as null.
        var value = p.RawDefaultValue is null && p.ParameterType.IsValueType && Nullable.GetUnderlyingType(p.ParameterType) is null ? "default" : Literal(p.RawDefaultValue);
        return $"{type} {p.Name}" + (p.HasDefaultValue ? " = " + value : "");
    }));

    private static string Literal(object? value) => value switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!,
    };

    private static readonly Dictionary<string, string> Keywords = new()
    {
        ["System.Void"] = "void", ["System.Object"] = "object", ["System.String"] = "string", ["System.Boolean"] = "bool",
        ["System.Byte"] = "byte", ["System.SByte"] = "sbyte", ["System.Char"] = "char", ["System.Int16"] = "short", ["System.UInt16"] = "ushort",
        ["System.Int32"] = "int", ["System.UInt32"] = "uint", ["System.Int64"] = "long", ["System.UInt64"] = "ulong",
        ["System.Single"] = "float", ["System.Double"] = "double", ["System.Decimal"] = "decimal",
    };

    /// <summary>A type as C# would write it, namespaces included.</summary>
    public static string Render(Type t)
    {
        if (t.IsGenericParameter)
            return t.Name;
        if (t.IsArray)
            return Render(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        if (t.IsByRef || t.IsPointer)
            return Render(t.GetElementType()!) + (t.IsPointer ? "*" : "");
        if (t.IsGenericType && t.GetGenericTypeDefinition().FullName == "System.Nullable`1")
            return Render(t.GetGenericArguments()[0]) + "?";
        if (t.FullName is { } full && Keywords.TryGetValue(full, out var keyword))
            return keyword;
        var name = t.Name.Split('`')[0];
        var outer = t.IsNested ? Render(t.DeclaringType!.IsGenericTypeDefinition ? t.DeclaringType : t.DeclaringType) + "." : t.Namespace is { Length: > 0 } ns ? ns + "." : "";
        if (!t.IsGenericType)
            return outer + name;
        var args = t.GetGenericArguments().Skip(t.IsNested ? t.DeclaringType!.GetGenericArguments().Length : 0).ToList();
        return args.Count == 0 ? outer + name : $"{outer}{name}<{string.Join(", ", args.Select(Render))}>";
    }

    private static string NewestBuild(string bin, string file) =>
        Directory.GetDirectories(bin, "net8.0", SearchOption.AllDirectories)
            .Where(d => File.Exists(Path.Combine(d, file)))
            .OrderByDescending(d => File.GetLastWriteTimeUtc(Path.Combine(d, file)))
            .First();

    public void Dispose() => Context.Dispose();
}
