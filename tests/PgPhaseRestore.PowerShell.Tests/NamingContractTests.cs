using System.Reflection;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// Parameter names as dbatools and AWS.Tools users expect them, asserted on the compiled cmdlets: one name per
/// endpoint, archives always -Path, S3 keys the AWS.Tools way, the old names kept where they stay unambiguous.
/// </summary>
public sealed class NamingContractTests : IClassFixture<CmdletMetadata>
{
    private static readonly string[] Endpoints = ["Source", "Target", "Server"];

    /// <summary>Aliases that say nothing about which endpoint they belong to.</summary>
    private static readonly string[] EndpointlessAliases = ["Credential", "ConnectionString"];

    private readonly CmdletMetadata _m;

    public NamingContractTests(CmdletMetadata metadata) => _m = metadata;

    private IEnumerable<PropertyInfo> Connections(Type cmdlet) =>
        _m.Parameters(cmdlet).Where(p => Endpoints.Any(e => p.Name == e + "Connection"));

    [Fact]
    public void Every_credential_is_named_for_the_endpoint_it_signs_in_to()
    {
        foreach (var (name, type) in _m.Cmdlets)
        {
            var parameters = _m.Parameters(type).ToList();
            foreach (var credential in parameters.Where(p => p.PropertyType.FullName == "System.Management.Automation.PSCredential"))
            {
                if (credential.Name == "S3Credential")
                {
                    Assert.Contains(parameters, p => p.Name == "S3Endpoint");
                    continue;
                }
                var endpoint = Endpoints.SingleOrDefault(e => credential.Name == e + "Credential");
                Assert.True(endpoint is not null, $"{name} -{credential.Name}: a credential is named <Source|Target|Server>Credential");
                Assert.True(parameters.Any(p => p.Name == endpoint + "Connection"), $"{name} -{credential.Name} has no -{endpoint}Connection beside it");
            }
            foreach (var connection in Connections(type))
            {
                var credential = connection.Name.Replace("Connection", "Credential");
                Assert.True(parameters.Any(p => p.Name == credential && p.PropertyType.FullName == "System.Management.Automation.PSCredential"),
                    $"{name} -{connection.Name} has no -{credential}");
                Assert.Equal("System.String", connection.PropertyType.FullName);
            }
        }
    }

    [Fact]
    public void Credential_and_ConnectionString_are_aliases_only_where_one_database_is_reached()
    {
        foreach (var (name, type) in _m.Cmdlets)
        {
            var endpoints = Connections(type).Select(p => p.Name.Replace("Connection", "")).ToList();
            foreach (var p in _m.Parameters(type))
            {
                foreach (var alias in _m.NamesAndAliases(p).Skip(1).Intersect(EndpointlessAliases))
                {
                    Assert.True(endpoints.Count == 1, $"{name}: -{alias} would be ambiguous among {string.Join(", ", endpoints)}");
                    Assert.Equal(alias == "Credential" ? endpoints[0] + "Credential" : endpoints[0] + "Connection", p.Name);
                }
            }
        }
        // Never a parameter of that name either: the endpoint is always in the name.
        Assert.All(_m.Cmdlets, c => Assert.DoesNotContain(_m.Parameters(c.Value), p => EndpointlessAliases.Contains(p.Name)));
    }

    [Theory]
    [InlineData("Get-PgDumpToc")]
    [InlineData("Split-PgRestorePhases")]
    [InlineData("Invoke-PgPhaseRestore")]
    [InlineData("Test-PgPhaseRestore")]
    [InlineData("Get-PgBackup")]
    [InlineData("Backup-PgDatabase")]
    [InlineData("Copy-PgDatabase")]
    public void Archives_are_given_as_Path(string cmdlet)
    {
        var path = _m.Parameters(_m.Cmdlets[cmdlet]).SingleOrDefault(p => p.Name == "Path");
        Assert.True(path is not null, $"{cmdlet} takes its archive as -Path");
        Assert.Contains(path!.PropertyType.FullName, new[] { "System.String", "System.String[]" });
    }

    /// <summary>
    /// The cmdlets that read archives take -Path as PowerShell's own cmdlets do: wildcards in -Path, and -LiteralPath
    /// (-PSPath, -LP) taken as written, bound by property name so that files from Get-ChildItem bind to it. The
    /// cmdlets that write an archive take their -Path literally, without a -LiteralPath.
    /// </summary>
    [Theory]
    [InlineData("Get-PgDumpToc")]
    [InlineData("Split-PgRestorePhases")]
    [InlineData("Invoke-PgPhaseRestore")]
    [InlineData("Test-PgPhaseRestore")]
    [InlineData("Get-PgBackup")]
    public void Archives_read_take_wildcards_in_Path_and_a_LiteralPath(string cmdlet)
    {
        var parameters = _m.Parameters(_m.Cmdlets[cmdlet]).ToDictionary(p => p.Name);
        Assert.NotNull(_m.Attribute(parameters["Path"], "SupportsWildcardsAttribute"));
        Assert.True(parameters.TryGetValue("LiteralPath", out var literal), $"{cmdlet} has no -LiteralPath");
        Assert.Null(_m.Attribute(literal!, "SupportsWildcardsAttribute"));
        Assert.Contains("PSPath", _m.NamesAndAliases(literal!));
        Assert.Contains("LP", _m.NamesAndAliases(literal!));
        Assert.All(_m.Attributes(literal!, "ParameterAttribute"), a => Assert.Equal(true, CmdletMetadata.Named(a, "ValueFromPipelineByPropertyName")));
        // A path and a literal path are never bound together: each has sets of its own.
        var pathSets = _m.Attributes(parameters["Path"], "ParameterAttribute").Select(a => CmdletMetadata.Named(a, "ParameterSetName") as string).ToHashSet();
        Assert.DoesNotContain(_m.Attributes(literal!, "ParameterAttribute"), a => pathSets.Contains(CmdletMetadata.Named(a, "ParameterSetName") as string));
    }

    [Theory]
    [InlineData("Backup-PgDatabase")]
    [InlineData("Copy-PgDatabase")]
    public void Destinations_are_literal_paths(string cmdlet)
    {
        var parameters = _m.Parameters(_m.Cmdlets[cmdlet]).ToList();
        Assert.Null(_m.Attribute(parameters.Single(p => p.Name == "Path"), "SupportsWildcardsAttribute"));
        Assert.DoesNotContain(parameters, p => p.Name == "LiteralPath");
    }

    /// <summary>
    /// A name or alias designates one kind of thing across the module: -Source is never an archive on one cmdlet and a
    /// database on another, -Path never a connection.
    /// </summary>
    [Fact]
    public void No_name_means_two_kinds_of_thing()
    {
        static string Kind(PropertyInfo p) => p.Name switch
        {
            "Path" or "LiteralPath" => "an archive location",
            _ when p.Name.EndsWith("Connection", StringComparison.Ordinal) => "a database connection",
            _ when p.PropertyType.FullName == "System.Management.Automation.PSCredential" => "a credential",
            // Get-PgDatabase's -Name and the other cmdlets' -Database both name databases.
            "Name" or "Database" => "a database name",
            // Backup-PgDatabase's selection and the restore's (Copy-PgDatabase's) both say what is kept.
            "Schema" or "IncludeSchema" => "the schemas kept",
            "Table" or "IncludeTable" => "the tables kept",
            _ => p.Name,
        };
        var uses = _m.Cmdlets.SelectMany(c => _m.Parameters(c.Value).SelectMany(p => _m.NamesAndAliases(p).Select(n => (Name: n, Kind: Kind(p), Where: $"{c.Key} -{p.Name}"))));
        foreach (var group in uses.GroupBy(u => u.Name, StringComparer.OrdinalIgnoreCase))
        {
            var kinds = group.GroupBy(u => u.Kind).ToList();
            Assert.True(kinds.Count == 1, $"-{group.Key} means {string.Join(" and ", kinds.Select(k => $"{k.Key} ({string.Join(", ", k.Select(u => u.Where))})"))}");
        }
        Assert.Contains(uses, u => u.Name == "Source" && u.Kind == "a database connection");
    }

    /// <summary>Scripts written against the earlier names keep working wherever the name is still unambiguous.</summary>
    [Theory]
    [InlineData("Backup-PgDatabase", "Source", "SourceConnection")]
    [InlineData("Backup-PgDatabase", "ConnectionString", "SourceConnection")]
    [InlineData("Backup-PgDatabase", "Credential", "SourceCredential")]
    [InlineData("Backup-PgDatabase", "Destination", "Path")]
    [InlineData("Backup-PgDatabase", "To", "Path")]
    [InlineData("Backup-PgDatabase", "S3Region", "Region")]
    [InlineData("Backup-PgDatabase", "S3Profile", "ProfileName")]
    [InlineData("Backup-PgDatabase", "S3SessionToken", "SessionToken")]
    [InlineData("Copy-PgDatabase", "Source", "SourceConnection")]
    [InlineData("Copy-PgDatabase", "Target", "TargetConnection")]
    [InlineData("Copy-PgDatabase", "Destination", "Path")]
    [InlineData("Invoke-PgPhaseRestore", "Target", "TargetConnection")]
    [InlineData("Invoke-PgPhaseRestore", "Credential", "TargetCredential")]
    // A file's or a backup's own location is a name, never a pattern: it binds to -LiteralPath.
    [InlineData("Invoke-PgPhaseRestore", "FullName", "LiteralPath")]
    [InlineData("Invoke-PgPhaseRestore", "Location", "LiteralPath")]
    [InlineData("Get-PgDumpToc", "Location", "LiteralPath")]
    [InlineData("Split-PgRestorePhases", "Uri", "LiteralPath")]
    [InlineData("Get-PgBackup", "FullName", "LiteralPath")]
    [InlineData("Get-PgBackup", "Prefix", "Path")]
    [InlineData("Test-PgPhaseRestore", "Target", "TargetConnection")]
    [InlineData("Test-PgPhaseRestore", "Source", "SourceConnection")]
    [InlineData("Get-PgDatabase", "Server", "ServerConnection")]
    [InlineData("Get-PgDatabase", "Source", "ServerConnection")]
    [InlineData("Get-PgDatabase", "Credential", "ServerCredential")]
    [InlineData("Switch-PgDatabase", "Server", "ServerConnection")]
    [InlineData("Switch-PgDatabase", "Credential", "ServerCredential")]
    [InlineData("Get-PgDumpToc", "S3Region", "Region")]
    public void Earlier_names_still_bind(string cmdlet, string earlier, string now)
    {
        var p = _m.Parameters(_m.Cmdlets[cmdlet]).Single(x => x.Name == now);
        Assert.Contains(earlier, _m.NamesAndAliases(p));
    }

    /// <summary>The earlier names that became ambiguous are gone rather than guessed at.</summary>
    [Theory]
    [InlineData("Copy-PgDatabase", "Credential")]
    [InlineData("Test-PgPhaseRestore", "Credential")]
    [InlineData("Get-PgDumpToc", "Source")]
    [InlineData("Split-PgRestorePhases", "Source")]
    [InlineData("Invoke-PgPhaseRestore", "Source")]
    public void Ambiguous_earlier_names_are_gone(string cmdlet, string earlier)
    {
        Assert.DoesNotContain(_m.Parameters(_m.Cmdlets[cmdlet]).SelectMany(_m.NamesAndAliases), n => n == earlier);
    }

    [Fact]
    public void Every_storage_cmdlet_takes_S3_keys_the_AWS_Tools_way_and_resolves_them_once()
    {
        var expected = new Dictionary<string, string>
        {
            ["ProfileName"] = "System.String",
            ["AccessKey"] = "System.String",
            ["SecretKey"] = "System.Security.SecureString",
            ["SessionToken"] = "System.Security.SecureString",
            ["Region"] = "System.String",
            ["S3Credential"] = "System.Management.Automation.PSCredential",
            ["S3Endpoint"] = "System.String",
        };
        var storage = _m.Cmdlets.Where(c => _m.Parameters(c.Value).Any(p => p.Name == "S3Endpoint")).ToList();
        Assert.Equal(["Backup-PgDatabase", "Copy-PgDatabase", "Get-PgBackup", "Get-PgDumpToc", "Invoke-PgPhaseRestore", "Split-PgRestorePhases", "Test-PgPhaseRestore"],
            storage.Select(c => c.Key).Order());
        foreach (var (name, type) in storage)
        {
            var parameters = _m.Parameters(type).ToDictionary(p => p.Name);
            foreach (var (parameter, typeName) in expected)
            {
                Assert.True(parameters.TryGetValue(parameter, out var p), $"{name} has no -{parameter}");
                Assert.Equal(typeName, p!.PropertyType.FullName);
                // Resolved before the first record: no storage setting may change from one pipeline object to the next.
                Assert.All(_m.Attributes(p, "ParameterAttribute"), a => Assert.NotEqual(true, CmdletMetadata.Named(a, "ValueFromPipelineByPropertyName")));
            }
            Assert.Contains("EndpointUrl", _m.NamesAndAliases(parameters["S3Endpoint"]));
        }
    }

    /// <summary>The restore parameters are declared once, on PgRestoreCmdletBase, for Invoke-PgPhaseRestore and Copy-PgDatabase.</summary>
    [Fact]
    public void Restore_parameters_are_declared_once_for_both_restoring_cmdlets()
    {
        var invoke = _m.Parameters(_m.Cmdlets["Invoke-PgPhaseRestore"]).ToDictionary(p => p.Name);
        var copy = _m.Parameters(_m.Cmdlets["Copy-PgDatabase"]).ToDictionary(p => p.Name);
        Assert.Equal("PgRestoreCmdletBase", _m.Cmdlets["Invoke-PgPhaseRestore"].BaseType!.Name);
        Assert.Equal("PgRestoreCmdletBase", _m.Cmdlets["Copy-PgDatabase"].BaseType!.Name);
        var shared = invoke.Keys.Intersect(copy.Keys).ToList();
        foreach (var restore in new[] { "TargetConnection", "TargetDatabase", "TargetCredential", "CreateDatabase", "NoOwner", "SkipPrivileges", "Strategy", "MemoryBudget",
                     "Role", "Jobs", "SplitTableSize", "SessionSetting", "ContinueOnError", "JournalPath", "PgRestorePath", "StopStaleSessions", "AllowPooler" })
            Assert.Contains(restore, shared);
        // Same names, not restore settings: -Force runs finished phases again on one and replaces the backup on the
        // other; -Path is the archive read by one and written by the other. The target's credential is declared by
        // each cmdlet for its own aliases.
        foreach (var name in shared.Except(["Force", "Path", "TargetCredential"]))
            Assert.True(invoke[name].DeclaringType == copy[name].DeclaringType, $"-{name} is declared on {invoke[name].DeclaringType!.Name} and on {copy[name].DeclaringType!.Name}");
    }

    /// <summary>Copy-PgDatabase repeats Backup-PgDatabase's declarations (its one base class is the restore side): they must not drift.</summary>
    [Fact]
    public void Copy_takes_every_backup_parameter_exactly_as_Backup_does()
    {
        // But pg_dump's selection: a copy selects once, below.
        AssertDeclaredAlike("Backup-PgDatabase", "Copy-PgDatabase", except: ["Force", "Schema", "ExcludeSchema", "Table", "ExcludeTable"]);
    }

    /// <summary>
    /// Copy-PgDatabase has one selection, what is copied, for its dump and its restore: the same parameters, declared
    /// once, as Split-PgRestorePhases and Invoke-PgPhaseRestore; Backup-PgDatabase's names for them bind as aliases, and
    /// no other parameter answers to them.
    /// </summary>
    [Fact]
    public void Copy_selects_once_with_the_restore_selection()
    {
        var selection = new[] { "IncludeSchema", "ExcludeSchema", "IncludeTable", "ExcludeTable", "IncludeType", "ExcludeType" };
        var split = _m.Parameters(_m.Cmdlets["Split-PgRestorePhases"]).ToDictionary(p => p.Name);
        foreach (var cmdlet in new[] { "Copy-PgDatabase", "Invoke-PgPhaseRestore" })
        {
            var parameters = _m.Parameters(_m.Cmdlets[cmdlet]).ToList();
            foreach (var name in selection)
            {
                var p = parameters.Single(x => x.Name == name);
                Assert.Equal("PgPlanCmdletBase", p.DeclaringType!.Name);
                Assert.Equal(split[name].DeclaringType, p.DeclaringType);
            }
            var names = parameters.SelectMany(_m.NamesAndAliases).ToList();
            Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
            Assert.Contains("Schema", _m.NamesAndAliases(parameters.Single(x => x.Name == "IncludeSchema")));
            Assert.Contains("Table", _m.NamesAndAliases(parameters.Single(x => x.Name == "IncludeTable")));
        }
        // The parameter's help says what is copied, not pg_dump's patterns.
        var docs = System.Xml.Linq.XDocument.Load(Path.Combine(_m.ModuleDirectory, "PgPhaseRestore.PowerShell.xml"));
        var summary = docs.Descendants("member").Single(e => (string?)e.Attribute("name") == "P:PgPhaseRestore.PowerShell.Infrastructure.PgPlanCmdletBase.IncludeTable").Element("summary")!.Value;
        Assert.Contains("its schema", summary);
    }

    /// <summary>Invoke-PgPhaseRestore takes Split-PgRestorePhases' archive filters exactly.</summary>
    [Fact]
    public void Invoke_takes_the_archive_filters_exactly_as_Split_does()
    {
        AssertDeclaredAlike("Split-PgRestorePhases", "Invoke-PgPhaseRestore", except: ["Path", "Archive", "ListDirectory"]);
    }

    private void AssertDeclaredAlike(string model, string copy, string[] except)
    {
        var theirs = _m.Parameters(_m.Cmdlets[copy]).ToDictionary(p => p.Name);
        foreach (var p in _m.Parameters(_m.Cmdlets[model]).Where(p => !except.Contains(p.Name)))
        {
            Assert.True(theirs.TryGetValue(p.Name, out var q), $"{copy} has no -{p.Name}");
            Assert.Equal(p.PropertyType, q!.PropertyType);
            Assert.Equal(_m.NamesAndAliases(p).Except(EndpointlessAliases).Order(), _m.NamesAndAliases(q).Except(EndpointlessAliases).Order());
            Assert.Equal(Describe(p), Describe(q));
        }
    }

    /// <summary>Every attribute of a parameter but its aliases (and the compiler's nullability bookkeeping), with its arguments, as text to compare.</summary>
    private static string Describe(PropertyInfo p) => string.Join("; ", p.GetCustomAttributesData()
        .Where(a => a.AttributeType.Name is not ("AliasAttribute" or "NullableAttribute"))
        .Select(a => a.AttributeType.Name + "(" + string.Join(", ", a.ConstructorArguments.Select(c => c.Value?.ToString())
            .Concat(a.NamedArguments.Select(n => $"{n.MemberName}={n.TypedValue.Value}"))) + ")")
        .Order());

    [Fact]
    public void Every_cmdlet_is_disposable_so_its_cancellation_source_is_released()
    {
        // PowerShell disposes a command that is IDisposable when its pipeline ends.
        Assert.All(_m.Cmdlets, c => Assert.Contains(c.Value.GetInterfaces(), i => i.FullName == "System.IDisposable"));
    }
}
