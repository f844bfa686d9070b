using PgPhaseRestore.Engine.Backup;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Engine.Copy;

/// <summary>What the dump of a copy leaves out: the rows its selection does not copy.</summary>
/// <remarks>
/// A copy's selection (schemas, tables, their exclusions) has one meaning, what is copied, and the restore applies it
/// (<see cref="EntrySelection"/>). pg_dump's own selection would not be exact: -t dumps a table without the schema it
/// lives in (so it does not restore into a new database), and -n, -N and -T drop definitions without a trace in the
/// TOC, so a view over a left-out table, or a table that needs a type of another schema, could not be told apart
/// and would fail in the restore. The dump of a copy therefore holds every definition (they are small), and leaves
/// out only rows: those of tables the selection does not copy (named exactly, quoted, in pg_dump's pattern syntax;
/// a whole schema with "schema".* when none of its tables is copied), and large objects, which a schema or table
/// selection never copies.
/// </remarks>
internal static class CopyDump
{
    /// <summary>
    /// pg_dump --exclude-table-data patterns for the tables of <paramref name="tables"/> whose rows the selection does
    /// not copy. A partition's rows are copied with any partitioned table above it (<paramref name="ancestors"/>), as
    /// the restore's selection takes the partitions of a table it names.
    /// </summary>
    public static IReadOnlyList<string> RowsLeftOut(PlanOptions selection, IEnumerable<TableStats> tables,
        IReadOnlyDictionary<string, IReadOnlyList<(string Schema, string Name)>> ancestors)
    {
        var leftOut = new List<string>();
        foreach (var schema in tables.GroupBy(t => t.Schema, StringComparer.Ordinal))
        {
            var skipped = schema.Where(t => !Copies(selection, t.Schema, t.Name) && (Excluded(selection, t.Schema, t.Name) ||
                !(ancestors.GetValueOrDefault($"{t.Schema}.{t.Name}") ?? []).Any(a => Copies(selection, a.Schema, a.Name)))).ToList();
            if (skipped.Count == 0)
                continue;
            if (skipped.Count == schema.Count())
                leftOut.Add(Quote(schema.Key) + ".*");
            else
                leftOut.AddRange(skipped.Select(t => Quote(t.Schema) + "." + Quote(t.Name)));
        }
        return leftOut;
    }

    /// <summary>Large objects are copied only without a schema or table selection.</summary>
    public static bool LeavesOutLargeObjects(PlanOptions selection) => selection.IncludeSchemas.Count > 0 || selection.IncludeTables.Count > 0;

    /// <summary>Whether the selection copies this relation's rows (it may still leave them out for other reasons).</summary>
    private static bool Copies(PlanOptions s, string schema, string name)
    {
        bool selected = (s.IncludeSchemas.Count == 0 && s.IncludeTables.Count == 0) || s.IncludeSchemas.Contains(schema) ||
                        EntrySelection.NameMatches(s.IncludeTables, schema, name);
        return selected && !Excluded(s, schema, name);
    }

    private static bool Excluded(PlanOptions s, string schema, string name) =>
        s.ExcludeSchemas.Contains(schema) || EntrySelection.NameMatches(s.ExcludeTables, schema, name);

    /// <summary>A name as a pg_dump pattern that matches exactly it: quoted, so that case, dots and wildcards are literal.</summary>
    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
