using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>The published module folder, and its private loading of the engine beside a conflicting AWS SDK.</summary>
public sealed class ModuleFolderTests : IClassFixture<ModuleFolderFixture>
{
    private readonly ModuleFolderFixture _f;

    public ModuleFolderTests(ModuleFolderFixture fixture) => _f = fixture;

    [Fact]
    public void The_folder_holds_the_manifest_formats_help_cmdlet_assembly_and_Dependencies()
    {
        foreach (var file in new[] { "PgPhaseRestore.psd1", "PgPhaseRestore.format.ps1xml", "PgPhaseRestore.PowerShell.dll", "en-US/PgPhaseRestore.PowerShell.dll-Help.xml", "en-US/about_PgPhaseRestore.help.txt" })
            Assert.True(File.Exists(Path.Combine(_f.Folder, file)), $"{file} is missing from the module folder");
        foreach (var file in new[] { "PgPhaseRestore.Engine.dll", "Npgsql.dll", "AWSSDK.Core.dll", "AWSSDK.S3.dll" })
            Assert.True(File.Exists(Path.Combine(_f.Folder, "Dependencies", file)), $"Dependencies/{file} is missing");
        // Only the cmdlet assembly sits beside the manifest: nothing there can clash with another module's copy.
        Assert.Equal(["PgPhaseRestore.PowerShell.dll"], Directory.GetFiles(_f.Folder, "*.dll").Select(Path.GetFileName));
        var manifest = File.ReadAllText(Path.Combine(_f.Folder, "PgPhaseRestore.psd1"));
        Assert.Matches(@"RootModule\s*=\s*'PgPhaseRestore.PowerShell.dll'", manifest);
        Assert.Matches(@"FormatsToProcess\s*=\s*@\('PgPhaseRestore.format.ps1xml'\)", manifest);
    }

    [Fact]
    public void The_engine_loads_privately_beside_the_AWS_SDK_version_AWS_Tools_carry()
    {
        var conflicting = typeof(ModuleFolderTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ConflictingAwsSdkCore").Value!;
        Assert.True(File.Exists(conflicting), $"{conflicting} was not downloaded");

        // A PowerShell session in miniature: another module has already loaded AWSSDK.Core 3.7 into the context
        // that now loads our cmdlet assembly.
        var session = new AssemblyLoadContext("session", isCollectible: true);
        var otherModulesSdk = session.LoadFromAssemblyPath(conflicting);
        Assert.Equal(3, otherModulesSdk.GetName().Version!.Major);
        var cmdlets = session.LoadFromAssemblyPath(Path.Combine(_f.Folder, "PgPhaseRestore.PowerShell.dll"));
        var isolation = cmdlets.GetType("PgPhaseRestore.PowerShell.Loading.DependencyIsolation", throwOnError: true)!;
        isolation.GetMethod("Register", Type.EmptyTypes)!.Invoke(null, null);

        // The session asks for the engine, as it would when a cmdlet first touches an engine type.
        var engine = session.LoadFromAssemblyName(new AssemblyName("PgPhaseRestore.Engine"));
        var engineContext = AssemblyLoadContext.GetLoadContext(engine)!;
        Assert.NotSame(session, engineContext);
        Assert.Equal("PgPhaseRestore.Dependencies", engineContext.Name);

        // Real engine code that needs AWSSDK 4: a client for a non-AWS endpoint sets options AWSSDK.Core 3.7 lacks.
        var settingsType = engine.GetType("PgPhaseRestore.Engine.Storage.S3Settings", throwOnError: true)!;
        var settings = Activator.CreateInstance(settingsType)!;
        settingsType.GetProperty("EndpointUrl")!.SetValue(settings, "http://127.0.0.1:9");
        settingsType.GetProperty("AccessKeyId")!.SetValue(settings, "AKIDEXAMPLE");
        settingsType.GetProperty("SecretAccessKey")!.SetValue(settings, "secret");
        using var client = (IDisposable)engine.GetType("PgPhaseRestore.Engine.Storage.S3ClientFactory", throwOnError: true)!
            .GetMethod("Create")!.Invoke(null, [settings])!;
        var sdkInUse = client.GetType().BaseType!.Assembly; // AmazonServiceClient lives in AWSSDK.Core
        Assert.Equal("AWSSDK.Core", sdkInUse.GetName().Name);
        Assert.Equal(4, sdkInUse.GetName().Version!.Major);
        Assert.Same(engineContext, AssemblyLoadContext.GetLoadContext(sdkInUse));

        // And Npgsql, for a connection string, from the same private folder.
        var npgsqlString = NpgsqlConnectionString(engine, "host=db.example.com dbname=app user=u");
        Assert.Contains("Host=db.example.com", npgsqlString);
        Assert.Contains(engineContext.Assemblies, a => a.GetName().Name == "Npgsql");
        Assert.DoesNotContain(session.Assemblies, a => a.GetName().Name is "Npgsql" or "AWSSDK.S3");
        Assert.Same(otherModulesSdk, session.Assemblies.Single(a => a.GetName().Name == "AWSSDK.Core"));
    }

    /// <summary>
    /// Remove-Module then Import-Module in one session: OnRemove unregisters, OnImport registers again, and the engine
    /// must resolve afterwards. The private context outlives the removal, which once made the second Register return
    /// before hooking the resolver back.
    /// </summary>
    [Fact]
    public void Register_Unregister_Register_then_the_engine_resolves()
    {
        var (session, isolation) = LoadModuleIntoNewSession("reimport");
        Invoke(isolation, "Register");
        Invoke(isolation, "Unregister");
        Assert.False((bool)isolation.GetProperty("IsRegistered")!.GetValue(null)!);
        Invoke(isolation, "Register");
        Assert.True((bool)isolation.GetProperty("IsRegistered")!.GetValue(null)!);

        var engine = session.LoadFromAssemblyName(new AssemblyName("PgPhaseRestore.Engine"));
        Assert.Equal("PgPhaseRestore.Dependencies", AssemblyLoadContext.GetLoadContext(engine)!.Name);
        // Engine code runs: a connection string parsed by the engine, with Npgsql from the private folder.
        Assert.Contains("Host=db.example.com", NpgsqlConnectionString(engine, "host=db.example.com dbname=app"));
    }

    /// <summary>After the last removal nothing answers for the engine: the unhooking is real, not a no-op.</summary>
    [Fact]
    public void After_the_last_Unregister_the_engine_is_not_answered()
    {
        var (session, isolation) = LoadModuleIntoNewSession("removed");
        Invoke(isolation, "Register");
        Invoke(isolation, "Unregister");
        Assert.Throws<FileNotFoundException>(() => session.LoadFromAssemblyName(new AssemblyName("PgPhaseRestore.Engine")));
    }

    /// <summary>
    /// ForEach-Object -Parallel: every runspace imports the module (one Register each) and may remove it; one runspace
    /// removing it must not take the engine from the others still running.
    /// </summary>
    [Fact]
    public void Imports_in_many_runspaces_keep_the_engine_until_the_last_removal()
    {
        var (session, isolation) = LoadModuleIntoNewSession("parallel");
        Parallel.For(0, 8, _ => Invoke(isolation, "Register"));
        Parallel.For(0, 7, _ => Invoke(isolation, "Unregister"));
        Assert.True((bool)isolation.GetProperty("IsRegistered")!.GetValue(null)!);
        var engine = session.LoadFromAssemblyName(new AssemblyName("PgPhaseRestore.Engine"));
        Assert.Equal("PgPhaseRestore.Dependencies", AssemblyLoadContext.GetLoadContext(engine)!.Name);

        Invoke(isolation, "Unregister");
        Assert.False((bool)isolation.GetProperty("IsRegistered")!.GetValue(null)!);
        // An extra removal (a runspace closing after Remove-Module) is harmless, and the next import works.
        Invoke(isolation, "Unregister");
        Invoke(isolation, "Register");
        Assert.True((bool)isolation.GetProperty("IsRegistered")!.GetValue(null)!);
    }

    /// <summary>The cmdlet assembly in a fresh context of its own, as a new process would load it: its statics start empty.</summary>
    private (AssemblyLoadContext Session, Type Isolation) LoadModuleIntoNewSession(string name)
    {
        var session = new AssemblyLoadContext(name, isCollectible: true);
        var cmdlets = session.LoadFromAssemblyPath(Path.Combine(_f.Folder, "PgPhaseRestore.PowerShell.dll"));
        return (session, cmdlets.GetType("PgPhaseRestore.PowerShell.Loading.DependencyIsolation", throwOnError: true)!);
    }

    /// <summary>Engine code that needs Npgsql, called by reflection; optional parameters keep their defaults as the engine grows them.</summary>
    private static string NpgsqlConnectionString(Assembly engine, string conninfo)
    {
        var parse = engine.GetType("PgPhaseRestore.Engine.Tools.PgConnectionInfo", throwOnError: true)!.GetMethod("Parse")!;
        var info = parse.Invoke(null, WithDefaults(parse, conninfo))!;
        var toNpgsql = info.GetType().GetMethod("ToNpgsqlConnectionString", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)!;
        return (string)toNpgsql.Invoke(info, WithDefaults(toNpgsql, "test"))!;
    }

    private static object?[] WithDefaults(MethodInfo method, object first) =>
        [first, .. method.GetParameters().Skip(1).Select(p => p.HasDefaultValue ? p.DefaultValue : Type.Missing)];

    private static void Invoke(Type isolation, string method) => isolation.GetMethod(method, Type.EmptyTypes)!.Invoke(null, null);

    [Fact]
    public void Help_covers_every_cmdlet_and_parameter_with_examples()
    {
        var help = System.Xml.Linq.XDocument.Load(Path.Combine(_f.Folder, "en-US", "PgPhaseRestore.PowerShell.dll-Help.xml"));
        System.Xml.Linq.XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        System.Xml.Linq.XNamespace maml = "http://schemas.microsoft.com/maml/2004/10";
        var manifest = File.ReadAllText(Path.Combine(_f.Folder, "PgPhaseRestore.psd1"));
        var exported = Regex.Matches(Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\(([^)]*)\)").Groups[1].Value, "'([^']+)'").Select(m => m.Groups[1].Value).ToList();
        var documented = help.Root!.Elements(command + "command").ToDictionary(c => c.Element(command + "details")!.Element(command + "name")!.Value);
        Assert.Equal(exported.Order(), documented.Keys.Order());
        using var metadata = new CmdletMetadata();
        foreach (var (name, cmdlet) in documented)
        {
            Assert.NotEmpty(cmdlet.Element(command + "details")!.Element(maml + "description")!.Value.Trim());
            Assert.NotEmpty(cmdlet.Element(command + "examples")!.Elements(command + "example"));
            var parameters = cmdlet.Element(command + "parameters")!.Elements(command + "parameter").ToDictionary(p => p.Element(maml + "name")!.Value, p => p.Element(maml + "description")!.Value.Trim());
            foreach (var p in metadata.Parameters(metadata.Cmdlets[name]))
                Assert.True(parameters.TryGetValue(p.Name, out var text) && text.Length > 10, $"{name} -{p.Name} has no help");
        }
    }

    [Fact]
    public void The_cmdlet_assembly_references_no_dependency_directly()
    {
        using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(_f.Folder, "PgPhaseRestore.PowerShell.dll")));
        var reader = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        var references = reader.AssemblyReferences.Select(h => reader.GetString(reader.GetAssemblyReference(h).Name)).ToList();
        Assert.Contains("PgPhaseRestore.Engine", references);
        Assert.DoesNotContain(references, r => Regex.IsMatch(r, "^(Npgsql|AWSSDK|Microsoft.Extensions)"));
    }
}
