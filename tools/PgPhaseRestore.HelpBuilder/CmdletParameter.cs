using System.Reflection;

/// <summary>How a parameter binds in one parameter set: one [Parameter] attribute (<see cref="ParameterSets.All"/> when it names no set).</summary>
internal sealed record ParameterDeclaration(string Set, bool Mandatory, int? Position, bool ByValue, bool ByPropertyName);

/// <summary>
/// One parameter of a cmdlet as PowerShell binds it: its declarations (one per parameter set it belongs to), its type,
/// aliases, wildcard support, help text and default.
/// </summary>
internal sealed record CmdletParameter(
    string Name, Type Type, bool IsSwitch, IReadOnlyList<ParameterDeclaration> Declarations, IReadOnlyList<string> Aliases,
    bool Globbing, string Description, string? DefaultValue)
{
    /// <summary>The parameters a cmdlet declares ([Parameter] properties, inherited ones included), by name.</summary>
    public static IReadOnlyList<CmdletParameter> Of(Type cmdlet, Func<PropertyInfo, string> description, DefaultValues defaults)
    {
        var parameters = new List<CmdletParameter>();
        foreach (var p in cmdlet.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var declarations = p.Attributes("ParameterAttribute").Select(a => new ParameterDeclaration(
                a.Named("ParameterSetName") as string ?? ParameterSets.All,
                a.Named("Mandatory") is true,
                a.Named("Position") is int position and >= 0 ? position : null,
                a.Named("ValueFromPipeline") is true,
                a.Named("ValueFromPipelineByPropertyName") is true)).ToList();
            if (declarations.Count == 0)
                continue;
            bool isSwitch = p.PropertyType.FullName == "System.Management.Automation.SwitchParameter";
            parameters.Add(new CmdletParameter(
                p.Name, p.PropertyType, isSwitch, declarations,
                p.Attributes("AliasAttribute").SelectMany(a => a.ConstructorArguments.SelectMany(c => c.Elements())).OfType<string>().ToList(),
                p.Attribute("SupportsWildcardsAttribute") is not null,
                description(p),
                isSwitch ? "False" : defaults.Of(p)));
        }
        return parameters;
    }

    /// <summary>Its declaration in <paramref name="set"/>: the one naming that set, else the one for all sets; null when it is not in the set.</summary>
    public ParameterDeclaration? In(string set) =>
        Declarations.FirstOrDefault(d => d.Set == set) ?? Declarations.FirstOrDefault(d => d.Set == ParameterSets.All);

    /// <summary>Required in the PARAMETERS section: mandatory in every set it belongs to.</summary>
    public bool Mandatory => Declarations.All(d => d.Mandatory);

    /// <summary>Its position where it has one ("named" otherwise); positions are counted from 0, as PowerShell's own help counts them.</summary>
    public string Position => Declarations.Select(d => d.Position).FirstOrDefault(p => p is not null)?.ToString() ?? "named";

    public bool ByValue => Declarations.Any(d => d.ByValue);

    public bool ByPropertyName => Declarations.Any(d => d.ByPropertyName);

    /// <summary>The pipeline input as PowerShell's help words it.</summary>
    public string PipelineInput => (ByValue, ByPropertyName) switch
    {
        (true, true) => "True (ByValue, ByPropertyName)",
        (true, false) => "True (ByValue)",
        (false, true) => "True (ByPropertyName)",
        _ => "False",
    };
}
