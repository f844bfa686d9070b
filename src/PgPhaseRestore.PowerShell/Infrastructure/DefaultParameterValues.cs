using System.Collections;
using System.Management.Automation;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// Whether a bound parameter came from $PSDefaultParameterValues rather than from the command line: PowerShell
/// binds both alike, so a refusal of a parameter a command was given would also refuse a session's defaults.
/// </summary>
internal static class DefaultParameterValues
{
    /// <summary>
    /// True when $PSDefaultParameterValues has an entry for <paramref name="parameter"/> of <paramref name="cmdlet"/>
    /// whose value is the one bound. A value given on the command line equal to the session's default reads as the
    /// default: the two cannot be told apart.
    /// </summary>
    public static bool Supplied(PSCmdlet cmdlet, string parameter)
    {
        if (cmdlet.SessionState.PSVariable.GetValue("PSDefaultParameterValues") is not IDictionary defaults ||
            !cmdlet.MyInvocation.BoundParameters.TryGetValue(parameter, out var bound))
            return false;
        if (defaults["Disabled"] is { } disabled && LanguagePrimitives.IsTrue(disabled))
            return false;
        var command = cmdlet.MyInvocation.MyCommand;
        var names = command.Parameters.TryGetValue(parameter, out var meta) ? meta.Aliases.Prepend(parameter).ToList() : [parameter];
        foreach (DictionaryEntry entry in defaults)
        {
            // "Cmdlet:Parameter", either side a wildcard pattern.
            var key = entry.Key as string ?? "";
            int colon = key.LastIndexOf(':');
            if (colon <= 0)
                continue;
            var (commandPattern, parameterPattern) = (key[..colon].Trim(), key[(colon + 1)..].Trim());
            if (!Matches(commandPattern, command.Name) || !names.Any(n => Matches(parameterPattern, n)))
                continue;
            // A script block computes the value as it binds: what it gave cannot be seen here, so it is taken as given.
            if (entry.Value is ScriptBlock || Same(entry.Value, bound))
                return true;
        }
        return false;
    }

    private static bool Matches(string pattern, string name) => WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase).IsMatch(name);

    // The default as the parameter's own type would bind it ('auto' as the strategy Auto, 2GB as bytes), then compared as text.
    private static bool Same(object? value, object? bound) =>
        Text(bound is not null && LanguagePrimitives.TryConvertTo(value, bound.GetType(), out object? converted) ? converted : value) == Text(bound);

    private static string Text(object? value) => (value is PSObject ps ? ps.BaseObject : value) switch
    {
        null => "",
        string s => s,
        IEnumerable items => string.Join("\u0001", items.Cast<object?>().Select(Text)),
        var other => LanguagePrimitives.ConvertTo<string>(other),
    };
}
