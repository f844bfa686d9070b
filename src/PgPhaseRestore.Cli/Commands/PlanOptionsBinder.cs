using System.CommandLine;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>The strategy, memory budget and filter options shared by `plan`, `restore` and `copy`.</summary>
internal sealed class PlanOptionsBinder
{
    public Option<RestoreStrategy> Strategy { get; } = OptionValues.Choice("--strategy", null, "Auto (default: each btree index early, or after its table's data when its sort fits --memory-budget, so no build spills to temp files), PreCreate (no index built over a populated table) or Standard (pg_restore's order)", PlanOptions.DefaultStrategy);
    public Option<string?> MemoryBudget { get; } = new("--memory-budget") { Description = $"Auto: memory late index builds may use at once, e.g. 1GB (default: the target's maintenance_work_mem; {PgPhaseRestore.Engine.Storage.SizeText.Format(PlanOptions.DefaultMemoryBudget)} when only planning)" };
    public Option<string[]> Schemas { get; } = new("--schema", "-n") { Description = "Only this schema, with everything in it (repeatable; with --table, both)" };
    public Option<string[]> ExcludeSchemas { get; } = new("--exclude-schema", "-N") { Description = "Leave out this schema and what depends on it (repeatable)" };
    public Option<string[]> Tables { get; } = new("--table", "-t") { Description = "Only this table, view or sequence (name or schema.name, as written) with its data, indexes, constraints, owned sequences and its schema; a partitioned table with its partitions; one that matches nothing is refused (repeatable)" };
    public Option<string[]> ExcludeTables { get; } = new("--exclude-table", "-T") { Description = "Leave out this table and what depends on it (repeatable)" };
    public Option<string[]> Types { get; } = new("--type") { Description = "Only entries of this type, e.g. INDEX (repeatable)" };
    public Option<string[]> ExcludeTypes { get; } = new("--exclude-type") { Description = "Leave out entries of this type (repeatable)" };
    public Option<bool> SkipPrivileges { get; } = new("--no-privileges", "-x") { Description = "Leave out grants and default privileges" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Strategy, MemoryBudget, Schemas, ExcludeSchemas, Tables, ExcludeTables, Types, ExcludeTypes, SkipPrivileges })
            command.Options.Add(o);
    }

    public PlanOptions Read(ParseResult r) => new()
    {
        Strategy = r.GetValue(Strategy),
        MemoryBudget = r.GetValue(MemoryBudget) is { } budget ? PgPhaseRestore.Engine.Storage.SizeText.Parse(budget) : null,
        IncludeSchemas = r.GetValue(Schemas) ?? [],
        ExcludeSchemas = r.GetValue(ExcludeSchemas) ?? [],
        IncludeTables = r.GetValue(Tables) ?? [],
        ExcludeTables = r.GetValue(ExcludeTables) ?? [],
        IncludeTypes = r.GetValue(Types) ?? [],
        ExcludeTypes = r.GetValue(ExcludeTypes) ?? [],
        SkipPrivileges = r.GetValue(SkipPrivileges),
    };
}
