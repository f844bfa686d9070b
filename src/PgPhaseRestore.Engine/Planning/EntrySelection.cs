using PgPhaseRestore.Engine.Archive;

namespace PgPhaseRestore.Engine.Planning;

/// <summary>
/// What the schema and table selection (-n/--schema, -t/--table) keeps of an archive: one meaning for plan, restore
/// and copy. A selected table or sequence comes with what belongs to it and what it needs to exist; a selected schema
/// with everything in it.
/// </summary>
/// <remarks>
/// Worked out over the dependencies pg_dump wrote into the TOC, in TOC order (pg_dump writes what an entry depends on
/// before it):
/// <list type="bullet">
/// <item>Chosen: the relations a table name matches (TABLE, VIEW, MATERIALIZED VIEW, FOREIGN TABLE, SEQUENCE), the
/// partitions of a chosen partitioned table (its rows are theirs), and the SCHEMA entries of the selected schemas with
/// every entry in them, the extensions created in them included. A table name or schema that matches nothing in the
/// archive is refused: a restore of nothing would otherwise succeed.</item>
/// <item>Belonging to a chosen entry: its data, indexes, constraints, triggers, rules, policies, defaults, statistics,
/// comments and grants, and the sequences that depend on it (serial and identity columns): what pg_dump -t dumps
/// with a table.</item>
/// <item>Needed: what a chosen or belonging entry depends on that is not a relation or part of one: its schema
/// (pg_dump -t leaves that out, so a table alone does not restore into a new database), types, functions, collations,
/// extensions, free-standing sequences; with their comments, grants and a sequence's value. A relation is never pulled
/// in this way (the view over a table does not bring the table's rows): an entry that needs a relation or a part of
/// one that is not selected (a foreign key to a table left out, a view over one) is not kept.</item>
/// </list>
/// Everything else is left out, and what depends on it follows it out.
/// </remarks>
internal sealed class EntrySelection
{
    /// <summary>Entry types a table name selects.</summary>
    private static readonly HashSet<string> Nameable = ["TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE", "SEQUENCE"];

    /// <summary>Relations: never pulled in as something another entry needs.</summary>
    private static readonly HashSet<string> Relations = ["TABLE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE"];

    /// <summary>Entries that are part of the object they depend on and go wherever it goes.</summary>
    private static readonly HashSet<string> PartTypes =
    [
        "TABLE DATA", "SEQUENCE SET", "MATERIALIZED VIEW DATA", "SEQUENCE", "SEQUENCE OWNED BY", "DEFAULT", "CONSTRAINT",
        "CHECK CONSTRAINT", "FK CONSTRAINT", "INDEX", "INDEX ATTACH", "TABLE ATTACH", "TRIGGER", "RULE", "POLICY",
        "ROW SECURITY", "STATISTICS", "STATISTICS DATA", "COMMENT", "SECURITY LABEL", "ACL",
    ];

    /// <summary>Entries that describe an object: kept with a needed object too.</summary>
    private static readonly HashSet<string> DescriptionTypes = ["COMMENT", "SECURITY LABEL", "ACL", "SEQUENCE SET"];

    private readonly HashSet<int> _kept = [];

    private EntrySelection(DumpArchive archive, PlanOptions options)
    {
        RefuseUnmatched(archive, options);
        var schemas = new HashSet<string>(options.IncludeSchemas, StringComparer.Ordinal);
        // A partition's TABLE depends on its parent's; TABLE ATTACH (later in the TOC) names both, and tells it from an inheritance child.
        var partitions = archive.Entries.Where(e => e.Type == "TABLE ATTACH").SelectMany(e => e.Dependencies).ToHashSet();
        var chosen = new HashSet<int>(); // chosen entries and their parts: their own parts follow them
        foreach (var e in archive.Entries)
        {
            bool named = Nameable.Contains(e.Type) && (NameMatches(options.IncludeTables, e.Schema, e.Name) ||
                e.Type is "TABLE" or "FOREIGN TABLE" && partitions.Contains(e.DumpId) && e.Dependencies.Any(d => chosen.Contains(d) && archive.FindByDumpId(d)?.Type == "TABLE"));
            // An extension is in the schema its objects are created in (an exclusion constraint's operator class, a column's type).
            bool inSchema = e.Type switch
            {
                "SCHEMA" => e.Name is not null && schemas.Contains(e.Name),
                "EXTENSION" => Verification.ObjectNames.ExtensionSchema(e.Definition) is { } home && schemas.Contains(home),
                _ => e.Schema is not null && schemas.Contains(e.Schema),
            };
            // A part of a chosen object; a schema's own parts (its comment, grants) but not the objects in it.
            bool part = PartTypes.Contains(e.Type) && e.Dependencies.Any(d => chosen.Contains(d) &&
                (archive.FindByDumpId(d)?.Type != "SCHEMA" || DescriptionTypes.Contains(e.Type)));
            if (!named && !inSchema && !part)
                continue;
            var needs = new HashSet<int>();
            // Needing a relation that is not selected, it stays out (the plan names that relation as the reason).
            if (!Needs(archive, e, needs))
                continue;
            chosen.Add(e.DumpId);
            _kept.Add(e.DumpId);
            _kept.UnionWith(needs);
        }
        // What describes a needed object (a schema's comment and grants, a type's comment, a sequence's value).
        foreach (var e in archive.Entries)
        {
            if (DescriptionTypes.Contains(e.Type) && e.Dependencies.Count > 0 && e.Dependencies.All(_kept.Contains))
                _kept.Add(e.DumpId);
        }
    }

    /// <summary>The selection of <paramref name="options"/> in <paramref name="archive"/>; null when nothing is selected by name (all is kept).</summary>
    public static EntrySelection? For(DumpArchive archive, PlanOptions options) =>
        options.IncludeSchemas.Count == 0 && options.IncludeTables.Count == 0 ? null : new EntrySelection(archive, options);

    /// <summary>Refuses a table name or schema of the selection that names nothing in the archive.</summary>
    private static void RefuseUnmatched(DumpArchive archive, PlanOptions options)
    {
        var names = options.IncludeTables.Where(n => !archive.Entries.Any(e => Nameable.Contains(e.Type) && NameMatches([n], e.Schema, e.Name))).ToList();
        if (names.Count > 0)
            throw new PgPhaseException($"the table selection {string.Join(", ", names.Select(n => $"\"{n}\""))} matches no table, view or sequence in {archive.Source} " +
                                       "(names are matched as written, \"name\" or \"schema.name\", without wildcards)", PgPhaseErrorCode.InvalidInput);
        var schemas = options.IncludeSchemas.Where(n => !archive.Entries.Any(e => e.Schema == n || (e.Type == "SCHEMA" && e.Name == n))).ToList();
        if (schemas.Count > 0)
            throw new PgPhaseException($"the schema selection {string.Join(", ", schemas.Select(n => $"\"{n}\""))} matches no schema in {archive.Source}", PgPhaseErrorCode.InvalidInput);
    }

    /// <summary>Null when the entry is selected; otherwise why not.</summary>
    public string? Exclusion(TocEntry e) => _kept.Contains(e.DumpId) ? null : "not selected";

    /// <summary>
    /// Whether a table name matches a relation: "name" matches it in any schema, "schema.name" in that schema; names
    /// as stored, not patterns.
    /// </summary>
    public static bool NameMatches(IEnumerable<string> names, string? schema, string? name) =>
        name is not null && names.Any(n => n == name || (schema is not null && n == $"{schema}.{name}"));

    /// <summary>
    /// Adds to <paramref name="needs"/> what the entry depends on and is not kept yet, transitively; false when a
    /// dependency cannot be pulled in (a relation or a part of one).
    /// </summary>
    private bool Needs(DumpArchive archive, TocEntry e, HashSet<int> needs)
    {
        foreach (int id in e.Dependencies)
        {
            if (_kept.Contains(id) || needs.Contains(id) || archive.FindByDumpId(id) is not { } dep)
                continue;
            if (!Pullable(archive, dep))
                return false;
            needs.Add(id);
            if (!Needs(archive, dep, needs))
                return false;
        }
        return true;
    }

    /// <summary>Not a relation and not part of one: a schema, type, function, free-standing sequence, extension...</summary>
    private static bool Pullable(DumpArchive archive, TocEntry e) =>
        !Relations.Contains(e.Type) && (e.Type == "SEQUENCE"
            ? !e.Dependencies.Any(d => archive.FindByDumpId(d) is { } owner && Relations.Contains(owner.Type))
            : !PartTypes.Contains(e.Type));
}
