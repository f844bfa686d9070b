using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>
/// Value rules for options, checked while parsing: a bad value is refused before the command does anything, in
/// words that name the option and what it accepts. System.CommandLine's own conversion errors name .NET types.
/// </summary>
internal static class OptionValues
{
    /// <summary>A whole number of at least <paramref name="minimum"/>, given or defaulted from <paramref name="variable"/>.</summary>
    public static Option<int> Count(string name, string? alias, string description, int minimum, int fallback, string? variable = null)
    {
        var option = alias is null ? new Option<int>(name) : new Option<int>(name, alias);
        option.Description = description;
        option.CustomParser = r => ParseCount(r, name, minimum) ?? 0;
        option.DefaultValueFactory = r =>
        {
            if (variable is null || Environment.GetEnvironmentVariable(variable) is not { Length: > 0 } text)
                return fallback;
            if (Whole(text) is { } value && value >= minimum)
                return value;
            r.AddError($"{variable}={text}: expected a whole number of {minimum} or more (or pass {name})");
            return fallback;
        };
        return option;
    }

    /// <summary>An optional whole number of at least <paramref name="minimum"/>.</summary>
    public static Option<int?> OptionalCount(string name, string description, int minimum)
    {
        return new Option<int?>(name) { Description = description, CustomParser = r => ParseCount(r, name, minimum) };
    }

    /// <summary>Repeatable whole numbers from <paramref name="minimum"/> to <paramref name="maximum"/>.</summary>
    public static Option<int[]> Numbers(string name, string description, int minimum, int maximum)
    {
        return new Option<int[]>(name)
        {
            Description = description,
            CustomParser = r =>
            {
                var values = new List<int>();
                foreach (var token in r.Tokens)
                {
                    if (Whole(token.Value) is { } v && v >= minimum && v <= maximum)
                        values.Add(v);
                    else
                        r.AddError($"{name} {token.Value}: expected a whole number from {minimum} to {maximum}");
                }
                return values.ToArray();
            },
        };
    }

    /// <summary>One of an enum's names, case-insensitively; a wrong one is refused with the list of names.</summary>
    public static Option<T> Choice<T>(string name, string? alias, string description, T fallback) where T : struct, Enum
    {
        var option = alias is null ? new Option<T>(name) : new Option<T>(name, alias);
        option.Description = description;
        option.DefaultValueFactory = _ => fallback;
        option.CustomParser = r =>
        {
            var text = r.Tokens.Count == 0 ? "" : r.Tokens[^1].Value;
            // Enum.TryParse also takes numbers and comma lists; only the names are meant.
            var match = Enum.GetNames<T>().FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            if (match is not null)
                return Enum.Parse<T>(match);
            r.AddError($"{name} {(text.Length == 0 ? "\"\"" : text)}: expected one of {string.Join(", ", Enum.GetNames<T>())}");
            return fallback;
        };
        return option;
    }

    /// <summary>The option, when given, names an existing folder.</summary>
    public static Option<string?> ExistingFolder(this Option<string?> option)
    {
        option.Validators.Add(r =>
        {
            var path = r.GetValueOrDefault<string?>();
            if (path is null)
                return;
            if (File.Exists(path))
                r.AddError($"{option.Name} {path}: is a file, not a folder");
            else if (!Directory.Exists(path))
                r.AddError($"{option.Name} {path}: no such folder (create it first)");
        });
        return option;
    }

    private static int? ParseCount(ArgumentResult r, string name, int minimum)
    {
        if (r.Tokens.Count == 0)
            return null;
        var text = r.Tokens[^1].Value;
        if (Whole(text) is { } value && value >= minimum)
            return value;
        r.AddError($"{name} {text}: expected a whole number of {minimum} or more");
        return null;
    }

    private static int? Whole(string text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) ? value : null;
}
