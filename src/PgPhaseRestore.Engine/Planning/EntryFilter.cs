using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>Applies the operator's selection and include/exclude filters to one entry.</summary>
internal sealed class EntryFilter(PlanOptions options, DumpArchive archive)
{
    private readonly HashSet<string> _excludeSchemas = new(options.ExcludeSchemas, StringComparer.Ordinal);
    private readonly HashSet<string> _includeTypes = new(options.IncludeTypes, StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _excludeTypes = new(options.ExcludeTypes, StringComparer.OrdinalIgnoreCase);
    private readonly EntrySelection? _selection = EntrySelection.For(archive, options);

    /// <summary>Null when the entry stays; otherwise the reason, and whether its dependents go with it.</summary>
    public (string Reason, bool DependentsFollow)? Exclusion(TocEntry e)
    {
        if (options.SkipPrivileges && EntryRules.IsPrivilege(e))
            return ("privileges skipped", false);
        if (_excludeTypes.Contains(e.Type))
            return ($"type {e.Type} excluded", false);
        if (_includeTypes.Count > 0 && !_includeTypes.Contains(e.Type) && !EntryRules.IsDescriptive(e))
            return ($"type {e.Type} not included", false);
        if (_selection?.Exclusion(e) is { } notSelected)
            return (notSelected, true);

        var schema = e.Type == "SCHEMA" ? e.Name : e.Schema;
        if (!EntryRules.IsDescriptive(e) && !EntryRules.IsPrivilege(e) && schema is not null && _excludeSchemas.Contains(schema))
            return ($"schema {schema} excluded", true);
        if (EntryRules.RelationTypes.Contains(e.Type) && EntrySelection.NameMatches(options.ExcludeTables, e.Schema, e.Name))
            return ($"table {e.QualifiedName} excluded", true);
        return null;
    }
}
