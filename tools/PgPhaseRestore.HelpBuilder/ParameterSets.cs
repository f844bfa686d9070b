/// <summary>A cmdlet's parameter sets and, in each, its parameters in the order PowerShell's own syntax lists them.</summary>
internal static class ParameterSets
{
    /// <summary>The set of a [Parameter] that names none: it belongs to every set.</summary>
    public const string All = "__AllParameterSets";

    /// <summary>
    /// The sets the parameters name, and the cmdlet's default set even when no parameter names it (a set of only the
    /// parameters of all sets): the default first, the others by name. One set when none is named.
    /// </summary>
    public static IReadOnlyList<string> Of(IReadOnlyList<CmdletParameter> parameters, string? defaultSet)
    {
        var named = parameters.SelectMany(p => p.Declarations).Select(d => d.Set).Where(s => s != All).Distinct().Order(StringComparer.Ordinal).ToList();
        if (named.Count == 0)
            return [defaultSet ?? All];
        if (defaultSet is not null)
        {
            named.Remove(defaultSet);
            named.Insert(0, defaultSet);
        }
        return named;
    }

    /// <summary>
    /// The parameters of <paramref name="set"/> (its own and those of all sets) as Get-Command's syntax orders them:
    /// positional ones by position, then mandatory named ones, then the optional ones.
    /// </summary>
    public static IEnumerable<(CmdletParameter Parameter, ParameterDeclaration Declaration)> InDisplayOrder(IReadOnlyList<CmdletParameter> parameters, string set) =>
        parameters.Select(p => (Parameter: p, Declaration: p.In(set)))
            .Where(x => x.Declaration is not null)
            .Select(x => (x.Parameter, Declaration: x.Declaration!))
            .OrderBy(x => x.Declaration.Position is null ? 1 : 0)
            .ThenBy(x => x.Declaration.Position ?? 0)
            .ThenBy(x => x.Declaration.Mandatory ? 0 : 1)
            .ThenBy(x => x.Parameter.Name, StringComparer.Ordinal);
}
