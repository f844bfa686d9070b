using System.CommandLine;
using PgPhaseRestore.Engine.Planning;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>The strategy and filter options shared by `plan` and `restore`.</summary>
internal sealed class PlanOptionsBinder
{
    public Option<RestoreStrategy> Strategy { get; } = OptionValues.Choice("--strategy", null, "PreCreate (default: no index built over a populated table) or Standard (pg_restore's order)", RestoreStrategy.PreCreate);
    public Option<string[]> Schemas { get; } = new("--schema", "-n") { Description = "Only objects in this schema (repeatable)" };
    public Option<string[]> ExcludeSchemas { get; } = new("--exclude-schema", "-N") { Description = "Leave out this schema (repeatable)" };
    public Option<string[]> Tables { get; } = new("--table", "-t") { Description = "Only this table (name or schema.name), with its dependents (repeatable)" };
    public Option<string[]> ExcludeTables { get; } = new("--exclude-table", "-T") { Description = "Leave out this table and its dependents (repeatable)" };
    public Option<string[]> Types { get; } = new("--type") { Description = "Only entries of this type, e.g. INDEX (repeatable)" };
    public Option<string[]> ExcludeTypes { get; } = new("--exclude-type") { Description = "Leave out entries of this type (repeatable)" };
    public Option<bool> SkipPrivileges { get; } = new("--no-privileges", "-x") { Description = "Leave out grants and default privileges" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Strategy, Schemas, ExcludeSchemas, Tables, ExcludeTables, Types, ExcludeTypes, SkipPrivileges })
            command.Options.Add(o);
    }

    public PlanOptions Read(ParseResult r) => new()
    {
        Strategy = r.GetValue(Strategy),
        IncludeSchemas = r.GetValue(Schemas) ?? [],
        ExcludeSchemas = r.GetValue(ExcludeSchemas) ?? [],
        IncludeTables = r.GetValue(Tables) ?? [],
        ExcludeTables = r.GetValue(ExcludeTables) ?? [],
        IncludeTypes = r.GetValue(Types) ?? [],
        ExcludeTypes = r.GetValue(ExcludeTypes) ?? [],
        SkipPrivileges = r.GetValue(SkipPrivileges),
    };
}
