using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace PgPhaseRestore.PowerShell.Tests;

/// <summary>
/// Finds the module's commands in example scripts and binds their arguments the way PowerShell would: named
/// parameters by name, the rest by position, mandatory parameters given or taken from the pipeline, all within one
/// parameter set. Enough PowerShell syntax for documentation examples: quotes, (), {}, @{}, $(), arrays with commas.
/// </summary>
public sealed class CommandLines(CmdletMetadata m)
{
    public static readonly string[] CommonParameters =
        ["Verbose", "Debug", "ErrorAction", "WarningAction", "ErrorVariable", "WarningVariable", "OutVariable", "OutBuffer", "PipelineVariable",
         "WhatIf", "Confirm", "InformationAction", "InformationVariable", "ProgressAction"];

    private static readonly string[] CommonSwitches = ["Verbose", "Debug", "WhatIf", "Confirm"];

    public sealed record Use(string Command, IReadOnlyList<string> Tokens, bool Piped, string Text);

    /// <summary>Every use of one of the module's commands in a script, with its argument tokens.</summary>
    public IEnumerable<Use> Find(string script)
    {
        script = Regex.Replace(script, "(?m)(^|\\s)#.*$", "$1"); // comments are prose
        foreach (Match match in Regex.Matches(script, @"(?<![\w-])((?:Get|Backup|Copy|Split|Invoke|Test|Switch)-Pg[A-Za-z]+)\b"))
        {
            int end = ArgumentsEnd(script, match.Index + match.Length);
            var text = script[(match.Index + match.Length)..end];
            int before = match.Index - 1;
            while (before >= 0 && char.IsWhiteSpace(script[before]))
                before--;
            yield return new Use(match.Groups[1].Value, Tokens(text), before >= 0 && script[before] == '|', match.Value + text);
        }
    }

    /// <summary>Null when the use binds; otherwise why not.</summary>
    public string? Bind(Use use, bool requireCanonicalNames)
    {
        if (!m.Cmdlets.TryGetValue(use.Command, out var cmdlet))
            return $"{use.Command} is not a cmdlet of the module";
        var parameters = m.Parameters(cmdlet).ToList();
        var named = new List<PropertyInfo>();
        var positional = new List<string>();
        for (int i = 0; i < use.Tokens.Count; i++)
        {
            var token = use.Tokens[i];
            var p = Regex.Match(token, "^-([A-Za-z][A-Za-z0-9]*)(:.*)?$");
            if (!p.Success)
            {
                positional.Add(token);
                continue;
            }
            var name = p.Groups[1].Value;
            if (CommonParameters.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                if (!CommonSwitches.Contains(name, StringComparer.OrdinalIgnoreCase) && !p.Groups[2].Success)
                    i++;
                continue;
            }
            var parameter = parameters.SingleOrDefault(x => m.NamesAndAliases(x).Contains(name, StringComparer.OrdinalIgnoreCase));
            if (parameter is null)
                return $"{use.Command} -{name} does not exist";
            if (requireCanonicalNames && !string.Equals(parameter.Name, name, StringComparison.Ordinal))
                return $"{use.Command} -{name} is an alias: write -{parameter.Name}";
            if (named.Contains(parameter))
                return $"{use.Command} -{parameter.Name} is given twice";
            named.Add(parameter);
            if (parameter.PropertyType.Name != "SwitchParameter" && !p.Groups[2].Success)
            {
                if (++i >= use.Tokens.Count)
                    return $"{use.Command} -{name} has no value";
            }
        }

        var reasons = new List<string>();
        var defaultSet = CmdletMetadata.Named(m.Attribute(cmdlet, "CmdletAttribute")!, "DefaultParameterSetName") as string;
        foreach (var set in ParameterSets(parameters, defaultSet))
        {
            var why = BindInSet(set, parameters, named, positional, use.Piped);
            if (why is null)
                return null;
            reasons.Add(set == AllSets ? why : $"set {set}: {why}");
        }
        return $"{use.Text.Trim()} does not bind: {string.Join("; ", reasons)}";
    }

    private const string AllSets = "__AllParameterSets";

    /// <summary>The named sets, and the default one even when no parameter names it (it then holds the all-sets parameters).</summary>
    private IEnumerable<string> ParameterSets(IEnumerable<PropertyInfo> parameters, string? defaultSet)
    {
        var sets = parameters.SelectMany(p => m.Attributes(p, "ParameterAttribute")).Select(SetName).Where(s => s != AllSets)
            .Append(defaultSet ?? AllSets).Where(s => s != AllSets).Distinct().ToList();
        return sets.Count == 0 ? [AllSets] : sets;
    }

    private static string SetName(CustomAttributeData a) => CmdletMetadata.Named(a, "ParameterSetName") as string ?? AllSets;

    private string? BindInSet(string set, List<PropertyInfo> parameters, List<PropertyInfo> named, List<string> positional, bool piped)
    {
        CustomAttributeData? In(PropertyInfo p) =>
            m.Attributes(p, "ParameterAttribute").FirstOrDefault(a => SetName(a) == set) ?? m.Attributes(p, "ParameterAttribute").FirstOrDefault(a => SetName(a) == AllSets);

        var notInSet = named.Where(p => In(p) is null).ToList();
        if (notInSet.Count > 0)
            return $"-{string.Join(", -", notInSet.Select(p => p.Name))} not in this set";
        var bound = new HashSet<PropertyInfo>(named);
        var byPosition = parameters
            .Select(p => (Parameter: p, Attribute: In(p)))
            .Where(x => x.Attribute is not null && !bound.Contains(x.Parameter) && CmdletMetadata.Named(x.Attribute, "Position") is int position && position >= 0)
            .OrderBy(x => (int)CmdletMetadata.Named(x.Attribute!, "Position")!)
            .ToList();
        if (positional.Count > byPosition.Count)
            return $"{positional.Count} positional arguments ({string.Join(" ", positional)}) for {byPosition.Count} positions";
        foreach (var x in byPosition.Take(positional.Count))
            bound.Add(x.Parameter);
        foreach (var p in parameters)
        {
            var a = In(p);
            if (a is null || CmdletMetadata.Named(a, "Mandatory") is not true || bound.Contains(p))
                continue;
            bool fromPipeline = CmdletMetadata.Named(a, "ValueFromPipeline") is true || CmdletMetadata.Named(a, "ValueFromPipelineByPropertyName") is true;
            if (!(piped && fromPipeline))
                return $"mandatory -{p.Name} not given";
        }
        return null;
    }

    /// <summary>Where a command's arguments end: a pipe, a line end, ';', a redirection, or a bracket it did not open.</summary>
    private static int ArgumentsEnd(string s, int i)
    {
        int depth = 0;
        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\'' || c == '"')
            {
                i = QuoteEnd(s, i);
                continue;
            }
            if (c is '(' or '{' or '[')
                depth++;
            else if (c is ')' or '}' or ']')
            {
                if (depth == 0)
                    return i;
                depth--;
            }
            else if (depth == 0 && (c is '|' or '\n' or ';' || (c == '>' && (i == 0 || char.IsWhiteSpace(s[i - 1])))))
                return i;
        }
        return i;
    }

    private static int QuoteEnd(string s, int start)
    {
        char q = s[start];
        for (int i = start + 1; i < s.Length; i++)
        {
            if (q == '"' && s[i] == '`')
                i++;
            else if (s[i] == q)
            {
                if (q == '\'' && i + 1 < s.Length && s[i + 1] == '\'')
                    i++;
                else
                    return i;
            }
        }
        return s.Length - 1;
    }

    /// <summary>Arguments split at spaces outside quotes and brackets; a comma joins array elements into one argument.</summary>
    private static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        int depth = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\'' || c == '"')
            {
                int end = QuoteEnd(text, i);
                current.Append(text, i, end - i + 1);
                i = end;
                continue;
            }
            if (c is '(' or '{' or '[')
                depth++;
            else if (c is ')' or '}' or ']')
                depth--;
            if (depth == 0 && char.IsWhiteSpace(c))
            {
                if (current.Length > 0)
                    tokens.Add(current.ToString());
                current.Clear();
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0)
            tokens.Add(current.ToString());
        // 'a', 'b' is one argument.
        for (int i = tokens.Count - 1; i > 0; i--)
        {
            if (tokens[i - 1].EndsWith(',') || tokens[i].StartsWith(','))
            {
                tokens[i - 1] += tokens[i];
                tokens.RemoveAt(i);
            }
        }
        return tokens;
    }
}
