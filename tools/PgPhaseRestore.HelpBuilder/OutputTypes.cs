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
            var when = sets.Count == 0 ? "" : When(sets, parameters, defaultSet);
            foreach (var type in attribute.ConstructorArguments.SelectMany(a => a.Elements()).OfType<Type>())
                entries.Add(Maml.TypeEntry("returnValue", TypeNames.Full(type), when));
        }
        return entries.Count > 0 ? entries : [Maml.TypeEntry("returnValue", "None", "")];
    }

    // A set and its -LiteralPath twin declare one output together: name what they share, the switch both require.
    private static string When(List<string> sets, IReadOnlyList<CmdletParameter> parameters, string? defaultSet)
    {
        if (defaultSet is not null && sets.Contains(defaultSet))
            return "By default.";
        var own = parameters
            .Where(p => sets.All(set => p.Declarations.Any(d => d.Set == set && d.Mandatory)) && p.Declarations.All(d => sets.Contains(d.Set)))
            .Select(p => "-" + p.Name).ToList();
        return own.Count > 0 ? $"With {string.Join(" and ", own)}." : $"In the {string.Join(" or ", sets)} parameter set{(sets.Count > 1 ? "s" : "")}.";
    }
}
