using System.Xml.Linq;

/// <summary>The MAML vocabulary Get-Help reads, and the few shapes the help is made of.</summary>
internal static class Maml
{
    public static readonly XNamespace Doc = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static XElement Description(params string[] paragraphs) =>
        new(Doc + "description", paragraphs.Where(p => p.Length > 0).Select(p => new XElement(Doc + "para", p)));

    public static XElement Type(string name) => new(Dev + "type", new XElement(Doc + "name", name));

    public static XElement Name(string name) => new(Doc + "name", name);

    /// <summary>
    /// A parameter as SYNTAX shows it in one set: required and position as declared there, and no value for a switch,
    /// so that Get-Help prints [-Force], not [-Force &lt;SwitchParameter&gt;].
    /// </summary>
    public static XElement SyntaxParameter(CmdletParameter p, ParameterDeclaration d) =>
        new(Command + "parameter", Attributes(p, d.Mandatory, d.Position?.ToString() ?? "named"),
            Name(p.Name),
            p.IsSwitch ? null : new XElement(Command + "parameterValue", new XAttribute("required", "true"), TypeNames.Short(p.Type)),
            Type(TypeNames.Full(p.Type)));

    /// <summary>
    /// A parameter as PARAMETERS and Get-Help -Parameter show it: description, required, position, default, pipeline
    /// input, aliases and wildcards. A switch's value is optional there, as PowerShell's own help shows it: -Force [&lt;SwitchParameter&gt;].
    /// </summary>
    public static XElement Parameter(CmdletParameter p) =>
        new(Command + "parameter", Attributes(p, p.Mandatory, p.Position),
            Name(p.Name),
            Description(p.Description),
            new XElement(Command + "parameterValue", new XAttribute("required", p.IsSwitch ? "false" : "true"), TypeNames.Short(p.Type)),
            Type(TypeNames.Full(p.Type)),
            new XElement(Dev + "defaultValue", p.DefaultValue ?? "None"));

    private static XAttribute[] Attributes(CmdletParameter p, bool required, string position) =>
    [
        new("required", required ? "true" : "false"),
        new("variableLength", p.Type.IsArray ? "true" : "false"),
        new("globbing", p.Globbing ? "true" : "false"),
        new("pipelineInput", p.PipelineInput),
        new("position", position),
        new("aliases", p.Aliases.Count == 0 ? "none" : string.Join(", ", p.Aliases)),
    ];

    /// <summary>An INPUTS or OUTPUTS entry: a type and what it is for.</summary>
    public static XElement TypeEntry(string element, string type, string description) =>
        new(Command + element, Type(type), Description(description));
}
