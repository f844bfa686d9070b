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
        !ExcludeNames.Any(p => Wildcard(p).IsMatch(db.Name));

    private static Regex Wildcard(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$", RegexOptions.CultureInvariant);
}
