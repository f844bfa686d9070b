using System.CommandLine;
using PgPhaseRestore.Engine.Servers;

namespace PgPhaseRestore.Cli.Commands;

/// <summary>`pgphase databases [--server CONNINFO]`: a server's databases, one per line, for loops over them.</summary>
internal static class DatabasesCommand
{
    public static Command Build()
    {
        var server = ConnectionOptions.Create("--server", "Server: libpq string or URI (default: SRC_PG*, then PG* variables)");
        var names = new Option<string[]>("--name") { Description = "Only databases matching this wildcard (repeatable)" };
        var exclude = new Option<string[]>("--exclude") { Description = "Leave out databases matching this wildcard (repeatable)" };
        var templates = new Option<bool>("--include-templates") { Description = "Also list templates and databases that refuse connections" };
        var namesOnly = new Option<bool>("--names-only") { Description = "Print only the names, one per line" };
        var command = new Command("databases", "List a server's databases");
        foreach (var o in new Option[] { server, names, exclude, templates, namesOnly })
            command.Options.Add(o);
        command.SetAction((r, ct) => CommandRunner.RunAsync(async () =>
        {
            var connection = ConnectionOptions.Read(r.GetValue(server), "SRC_", server);
            var filter = new DatabaseFilter { Names = r.GetValue(names) ?? [], ExcludeNames = r.GetValue(exclude) ?? [], IncludeTemplates = r.GetValue(templates) };
            var found = await ServerDatabases.ListAsync(connection, filter, ct);
            if (r.GetValue(namesOnly))
            {
                foreach (var db in found)
                    Console.WriteLine(db.Name);
                return 0;
            }
            // Tab-separated under a header, sizes as people read them.
            Console.WriteLine("name\tsize\towner\tencoding");
            foreach (var db in found)
                Console.WriteLine($"{db.Name}\t{(db.Size is { } size ? Engine.Storage.SizeText.Format(size) : "-")}\t{db.Owner}\t{db.Encoding}");
            return 0;
        }));
        return command;
    }
}
