using System.Xml.Linq;

/// <summary>
/// OUTPUTS: the cmdlet's [OutputType] types. A type declared for some parameter sets says which, by the switches or
/// parameters only those sets require ("With -List."), or "By default." for the default set.
/// </summary>
internal static class OutputTypes
{
    public static IEnumerable<XElement> Of(Type cmdlet, IReadOnlyList<CmdletParameter> parameters, string? defaultSet)
    {
        var entries = new List<XElement>();
        foreach (var attribute in cmdlet.Attributes("OutputTypeAttribute"))
        {
            var sets = (attribute.Named("ParameterSetName") as IEnumerable<System.Reflection.CustomAttributeTypedArgument>)?.Select(a => (string)a.Value!).ToList() ?? [];
            var when = string.Join(" ", sets.Select(s => When(s, parameters, defaultSet)));
            foreach (var type in attribute.ConstructorArguments.SelectMany(a => a.Elements()).OfType<Type>())
                entries.Add(Maml.TypeEntry("returnValue", TypeNames.Full(type), when));
        }
        return entries.Count > 0 ? entries : [Maml.TypeEntry("returnValue", "None", "")];
    }

    private static string When(string set, IReadOnlyList<CmdletParameter> parameters, string? defaultSet)
    {
        var own = parameters.Where(p => p.Declarations.Any(d => d.Set == set && d.Mandatory) && p.Declarations.All(d => d.Set == set)).Select(p => "-" + p.Name).ToList();
        return own.Count > 0 ? $"With {string.Join(" and ", own)}." : set == defaultSet ? "By default." : $"In the {set} parameter set.";
    }
}
