using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>Applies the operator's include/exclude filters to one entry.</summary>
internal sealed class EntryFilter(PlanOptions options)
{
    private readonly HashSet<string> _includeSchemas = new(options.IncludeSchemas, StringComparer.Ordinal);
    private readonly HashSet<string> _excludeSchemas = new(options.ExcludeSchemas, StringComparer.Ordinal);
    private readonly HashSet<string> _includeTypes = new(options.IncludeTypes, StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _excludeTypes = new(options.ExcludeTypes, StringComparer.OrdinalIgnoreCase);

    /// <summary>Null when the entry stays; otherwise the reason, and whether its dependents go with it.</summary>
    public (string Reason, bool DependentsFollow)? Exclusion(TocEntry e)
    {
        if (options.SkipPrivileges && EntryRules.IsPrivilege(e))
            return ("privileges skipped", false);
        if (_excludeTypes.Contains(e.Type))
            return ($"type {e.Type} excluded", false);
        if (_includeTypes.Count > 0 && !_includeTypes.Contains(e.Type) && !EntryRules.IsDescriptive(e))
            return ($"type {e.Type} not included", false);

        var schema = e.Type == "SCHEMA" ? e.Name : e.Schema;
        if (!EntryRules.IsDescriptive(e) && !EntryRules.IsPrivilege(e))
        {
            if (_includeSchemas.Count > 0 && (schema is null || !_includeSchemas.Contains(schema)))
                return (schema is null ? "not in an included schema" : $"schema {schema} not included", true);
            if (schema is not null && _excludeSchemas.Contains(schema))
                return ($"schema {schema} excluded", true);
        }

        if (EntryRules.RelationTypes.Contains(e.Type) && e.Name is not null)
        {
            if (options.IncludeTables.Count > 0 && !Matches(options.IncludeTables, e))
                return ($"table {e.QualifiedName} not included", true);
            if (Matches(options.ExcludeTables, e))
                return ($"table {e.QualifiedName} excluded", true);
        }
        return null;
    }

    private static bool Matches(IReadOnlyCollection<string> names, TocEntry e) =>
        names.Any(n => n == e.Name || n == e.QualifiedName);
}
