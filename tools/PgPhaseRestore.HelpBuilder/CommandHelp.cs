using System.Reflection;
using System.Xml.Linq;
using static Maml;

/// <summary>
/// One cmdlet's MAML help: synopsis and description from its summary, one SYNTAX block per parameter set,
/// PARAMETERS, INPUTS, OUTPUTS and the examples. What the doc comments lack is added to <c>problems</c>.
/// </summary>
internal static class CommandHelp
{
    public static XElement Of(Type type, DocComments docs, DefaultValues defaults, List<string> problems)
    {
        var cmdlet = type.Attribute("CmdletAttribute")!;
        var verb = (string)cmdlet.ConstructorArguments[0].Value!;
        var noun = (string)cmdlet.ConstructorArguments[1].Value!;
        var name = $"{verb}-{noun}";
        var defaultSet = cmdlet.Named("DefaultParameterSetName") as string;

        var typeDoc = docs.Member("T:" + type.FullName);
        var summary = DocComments.Text(typeDoc?.Element("summary"));
        if (summary.Length == 0)
            problems.Add($"{name}: no summary");
        var synopsis = Synopsis.Of(summary);
        if (summary.Length > 0 && Synopsis.Problem(synopsis) is { } problem)
            problems.Add($"{name}: {problem}");
        var examples = typeDoc?.Elements("example").ToList() ?? [];
        if (examples.Count == 0)
            problems.Add($"{name}: no example");

        string Describe(PropertyInfo p)
        {
            var text = DocComments.Text(docs.Member($"P:{p.DeclaringType!.FullName}.{p.Name}")?.Element("summary"));
            if (text.Length == 0)
                problems.Add($"{name} -{p.Name}: no summary");
            return text;
        }
        var parameters = CmdletParameter.Of(type, Describe, defaults);
        var shouldProcess = ShouldProcessParameters.Of(type);

        int n = 0;
        return new XElement(Command + "command",
            new XElement(Command + "details",
                new XElement(Command + "name", name), new XElement(Command + "verb", verb), new XElement(Command + "noun", noun),
                Description(synopsis)),
            Description(summary, DocComments.Text(typeDoc?.Element("remarks"))),
            new XElement(Command + "syntax", ParameterSets.Of(parameters, defaultSet).Select(set => new XElement(Command + "syntaxItem",
                Name(name),
                ParameterSets.InDisplayOrder(parameters, set).Select(x => SyntaxParameter(x.Parameter, x.Declaration)),
                shouldProcess.Select(p => SyntaxParameter(p, p.Declarations[0]))))),
            new XElement(Command + "parameters", parameters.Concat(shouldProcess).Select(Parameter)),
            new XElement(Command + "inputTypes", PipelineInputs.Of(parameters)),
            new XElement(Command + "returnValues", OutputTypes.Of(type, parameters, defaultSet)),
            new XElement(Command + "examples", examples.Select(e => new XElement(Command + "example",
                new XElement(Doc + "title", $"-------------------------- Example {++n} --------------------------"),
                new XElement(Dev + "code", string.Join("\n", (e.Element("code")?.Value ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))),
                // The empty paragraph is the blank line Get-Help leaves before the next example.
                new XElement(Dev + "remarks", new XElement(Doc + "para", DocComments.Text(e.Element("para"))), new XElement(Doc + "para", ""))))));
    }
}
