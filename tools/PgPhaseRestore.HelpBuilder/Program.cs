using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;

// Usage: HelpBuilder <cmdlet assembly> <its doc-comment XML> <System.Management.Automation.dll> <output -Help.xml>
// Every cmdlet needs a summary and at least one <example>, every parameter a summary: missing ones fail the build.
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: HelpBuilder <assembly> <doc xml> <System.Management.Automation.dll> <output>");
    return 2;
}
var (assemblyPath, docPath, smaPath, outputPath) = (args[0], args[1], args[2], args[3]);
var docs = XDocument.Load(docPath).Descendants("member").ToDictionary(m => (string)m.Attribute("name")!, m => m);
var folder = Path.GetDirectoryName(Path.GetFullPath(assemblyPath))!;
var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
    .Concat(Directory.GetFiles(folder, "*.dll"))
    .Concat(Directory.Exists(Path.Combine(folder, "Dependencies")) ? Directory.GetFiles(Path.Combine(folder, "Dependencies"), "*.dll") : [])
    .Append(smaPath)
    .GroupBy(Path.GetFileName).Select(g => g.Last());
using var context = new MetadataLoadContext(new PathAssemblyResolver(paths));
var assembly = context.LoadFromAssemblyPath(assemblyPath);

XNamespace maml = "http://schemas.microsoft.com/maml/2004/10";
XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
XNamespace dev = "http://schemas.microsoft.com/maml/dev/2004/10";
var problems = new List<string>();

string Text(XElement? element) => element is null ? "" :
    Regex.Replace(string.Concat(element.Nodes().Select(n => n switch
    {
        XText t => t.Value,
        XElement e when e.Name == "see" || e.Name == "paramref" => ((string?)e.Attribute("cref") ?? (string?)e.Attribute("name") ?? "").Split('.').Last(),
        XElement e => Text(e),
        _ => "",
    })), @"\s+", " ").Trim();

// <inheritdoc cref="..."/> is left to tools by the compiler: a parameter declared alike on two cmdlets (whose one base
// class is taken) borrows its text from the declaration it repeats.
XElement? Doc(string id, int depth = 0)
{
    if (!docs.TryGetValue(id, out var member))
        return null;
    if (member.Element("summary") is null && member.Element("inheritdoc")?.Attribute("cref") is { } cref && depth < 4)
        return Doc(cref.Value, depth + 1);
    return member;
}

XElement Paragraphs(string text) => new(maml + "description", new XElement(maml + "para", text));

CustomAttributeData? Attr(MemberInfo m, string name) => m.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.Name == name);
object? Named(CustomAttributeData a, string name) => a.NamedArguments.FirstOrDefault(n => n.MemberName == name).TypedValue.Value;

var commands = new List<XElement>();
foreach (var type in assembly.GetTypes().Where(t => Attr(t, "CmdletAttribute") is not null).OrderBy(t => t.Name))
{
    var cmdlet = Attr(type, "CmdletAttribute")!;
    var verb = (string)cmdlet.ConstructorArguments[0].Value!;
    var noun = (string)cmdlet.ConstructorArguments[1].Value!;
    var name = $"{verb}-{noun}";
    docs.TryGetValue("T:" + type.FullName, out var typeDoc);
    var description = Text(typeDoc?.Element("summary"));
    if (description.Length == 0)
        problems.Add($"{name}: no summary");
    var synopsis = Regex.Match(description, @"^.*?[.:](\s|$)").Value.Trim();
    var examples = typeDoc?.Elements("example").ToList() ?? [];
    if (examples.Count == 0)
        problems.Add($"{name}: no example");

    var parameters = new List<XElement>();
    foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name))
    {
        var attrs = p.GetCustomAttributesData().Where(a => a.AttributeType.Name == "ParameterAttribute").ToList();
        if (attrs.Count == 0)
            continue;
        var declaring = p.DeclaringType!.FullName;
        var text = Text(Doc($"P:{declaring}.{p.Name}")?.Element("summary"));
        if (text.Length == 0)
            problems.Add($"{name} -{p.Name}: no summary");
        bool mandatory = attrs.Any(a => Named(a, "Mandatory") is true);
        var position = attrs.Select(a => Named(a, "Position")).OfType<int>().Where(i => i >= 0).Select(i => i.ToString()).FirstOrDefault() ?? "named";
        var byValue = attrs.Any(a => Named(a, "ValueFromPipeline") is true);
        var byName = attrs.Any(a => Named(a, "ValueFromPipelineByPropertyName") is true);
        var pipeline = byValue && byName ? "True (ByValue, ByPropertyName)" : byValue ? "True (ByValue)" : byName ? "True (ByPropertyName)" : "False";
        var aliases = Attr(p, "AliasAttribute") is { } alias
            ? string.Join(", ", ((IEnumerable<CustomAttributeTypedArgument>)alias.ConstructorArguments[0].Value!).Select(v => (string)v.Value!))
            : "none";
        var typeName = p.PropertyType.Name == "SwitchParameter" ? "SwitchParameter" : p.PropertyType.Name;
        parameters.Add(new XElement(command + "parameter",
            new XAttribute("required", mandatory.ToString().ToLowerInvariant()), new XAttribute("globbing", (Attr(p, "SupportsWildcardsAttribute") is not null).ToString().ToLowerInvariant()),
            new XAttribute("pipelineInput", pipeline), new XAttribute("position", position), new XAttribute("aliases", aliases),
            new XElement(maml + "name", p.Name),
            Paragraphs(text),
            new XElement(command + "parameterValue", new XAttribute("required", (typeName != "SwitchParameter").ToString().ToLowerInvariant()), typeName),
            new XElement(dev + "type", new XElement(maml + "name", p.PropertyType.FullName))));
    }

    var outputs = type.GetCustomAttributesData().Where(a => a.AttributeType.Name == "OutputTypeAttribute")
        .SelectMany(a => ((IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!).Select(v => ((Type)v.Value!).FullName!))
        .Distinct();

    int n = 0;
    commands.Add(new XElement(command + "command",
        new XElement(command + "details",
            new XElement(command + "name", name), new XElement(command + "verb", verb), new XElement(command + "noun", noun),
            Paragraphs(synopsis)),
        Paragraphs(description + (typeDoc?.Element("remarks") is { } r ? " " + Text(r) : "")),
        new XElement(command + "syntax", new XElement(command + "syntaxItem", new XElement(maml + "name", name), parameters.Select(x => new XElement(x)))),
        new XElement(command + "parameters", parameters),
        new XElement(command + "returnValues", outputs.Select(o => new XElement(command + "returnValue", new XElement(dev + "type", new XElement(maml + "name", o))))),
        new XElement(command + "examples", examples.Select(e => new XElement(command + "example",
            new XElement(maml + "title", $"-------------------------- Example {++n} --------------------------"),
            new XElement(dev + "code", string.Join("\n", (e.Element("code")?.Value ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))),
            new XElement(dev + "remarks", new XElement(maml + "para", Text(e.Element("para")))))))));
}

if (problems.Count > 0)
{
    foreach (var p in problems)
        Console.Error.WriteLine($"help: {p}");
    return 1;
}
var help = new XDocument(new XElement(XName.Get("helpItems"), new XAttribute("schema", "maml"),
    new XAttribute(XNamespace.Xmlns + "maml", maml), new XAttribute(XNamespace.Xmlns + "command", command), new XAttribute(XNamespace.Xmlns + "dev", dev),
    commands));
help.Save(outputPath);
Console.WriteLine($"help: {commands.Count} cmdlets written to {outputPath}");
return 0;
