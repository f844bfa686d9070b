using System.Xml.Linq;

/// <summary>
/// INPUTS: what a cmdlet takes from the pipeline. A parameter that binds by value takes objects of its type (the
/// element type of an array, piped one by one); one that binds by property name takes any object with a property of
/// its name or one of its aliases. "None" when nothing binds from the pipeline.
/// </summary>
internal static class PipelineInputs
{
    public static IEnumerable<XElement> Of(IReadOnlyList<CmdletParameter> parameters)
    {
        var entries = new List<XElement>();
        foreach (var p in parameters.Where(p => p.ByValue))
        {
            var piped = p.Type.IsArray ? p.Type.GetElementType()! : p.Type;
            var also = p.ByPropertyName ? $", or by property name from {Properties(p)} of the piped object" : "";
            entries.Add(Maml.TypeEntry("inputType", TypeNames.Full(piped), $"Binds to -{p.Name} by value{also}."));
        }
        foreach (var p in parameters.Where(p => p.ByPropertyName && !p.ByValue))
            entries.Add(Maml.TypeEntry("inputType", TypeNames.Full(p.Type), $"Binds to -{p.Name} by property name from {Properties(p)} of the piped object."));
        return entries.Count > 0 ? entries : [Maml.TypeEntry("inputType", "None", "Nothing binds from the pipeline.")];
    }

    /// <summary>"a Path, FullName, Location or Uri property": the names a piped object's property may have to bind.</summary>
    private static string Properties(CmdletParameter p)
    {
        var names = new[] { p.Name }.Concat(p.Aliases).ToList();
        var list = names.Count == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
        return $"a {list} property";
    }
}
