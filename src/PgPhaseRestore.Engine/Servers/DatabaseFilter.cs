using System.Text.RegularExpressions;

namespace PgPhaseRestore.Engine.Servers;

/// <summary>Which databases of a server to list: wildcard names to include and exclude, templates on request.</summary>
public sealed class DatabaseFilter
{
    /// <summary>Names or wildcards (* and ?); empty: every database.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>Names or wildcards (* and ?) to leave out.</summary>
    public IReadOnlyList<string> ExcludeNames { get; init; } = [];

    /// <summary>Also list templates and databases that refuse connections (left out by default: they cannot be dumped).</summary>
    public bool IncludeTemplates { get; init; }

    internal bool Matches(DatabaseInfo db) =>
        (IncludeTemplates || (!db.IsTemplate && db.AllowConnections && db.CanConnect)) &&
        (Names.Count == 0 || Names.Any(p => Wildcard(p).IsMatch(db.Name))) &&
        !Excludes(db.Name);

    /// <summary>Whether <see cref="ExcludeNames"/> leaves <paramref name="name"/> out.</summary>
    public bool Excludes(string name) => ExcludeNames.Any(p => Wildcard(p).IsMatch(name));

    /// <summary>Whether <paramref name="name"/> is a pattern: * and ? are the wildcards, and brackets are ordinary characters in a database name.</summary>
    public static bool IsPattern(string name) => name.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>Whether the database <paramref name="name"/> matches <paramref name="pattern"/> (* and ?; brackets as written), as listing matches it.</summary>
    public static bool IsMatch(string pattern, string name) => Wildcard(pattern).IsMatch(name);

    private static Regex Wildcard(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.CultureInvariant);
}
