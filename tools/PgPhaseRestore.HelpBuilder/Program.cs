using System.Reflection;
using System.Runtime.InteropServices;
using System.Xml.Linq;

// Usage: HelpBuilder <cmdlet assembly> <its doc-comment XML> <System.Management.Automation.dll> <output -Help.xml>
// Every cmdlet needs a summary whose first sentence ends with '.' (its synopsis) and at least one <example>, every
// parameter a summary: missing ones fail the build.
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: HelpBuilder <assembly> <doc xml> <System.Management.Automation.dll> <output>");
    return 2;
}
var (assemblyPath, docPath, smaPath, outputPath) = (args[0], args[1], args[2], args[3]);
var docs = new DocComments(docPath);
var folder = Path.GetDirectoryName(Path.GetFullPath(assemblyPath))!;
var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
    .Concat(Directory.GetFiles(folder, "*.dll"))
    .Concat(Directory.Exists(Path.Combine(folder, "Dependencies")) ? Directory.GetFiles(Path.Combine(folder, "Dependencies"), "*.dll") : [])
    .Append(smaPath)
    .GroupBy(Path.GetFileName).Select(g => g.Last());
using var context = new MetadataLoadContext(new PathAssemblyResolver(paths));
using var defaults = new DefaultValues(context);
var assembly = context.LoadFromAssemblyPath(assemblyPath);

var problems = new List<string>();
var commands = assembly.GetTypes().Where(t => t.Attribute("CmdletAttribute") is not null).OrderBy(t => t.Name)
    .Select(t => CommandHelp.Of(t, docs, defaults, problems)).ToList();

if (problems.Count > 0)
{
    foreach (var p in problems)
        Console.Error.WriteLine($"help: {p}");
    return 1;
}
var help = new XDocument(new XElement(XName.Get("helpItems"), new XAttribute("schema", "maml"),
    new XAttribute(XNamespace.Xmlns + "maml", Maml.Doc), new XAttribute(XNamespace.Xmlns + "command", Maml.Command), new XAttribute(XNamespace.Xmlns + "dev", Maml.Dev),
    commands));
help.Save(outputPath);
Console.WriteLine($"help: {commands.Count} cmdlets written to {outputPath}");
return 0;
