namespace PgPhaseRestore.Engine.Connections;

/// <summary>Quoting for the few statements the engine writes itself.</summary>
internal static class SqlText
{
    public static string Ident(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";

    public static string Qualified(string? schema, string name) =>
        string.IsNullOrEmpty(schema) ? Ident(name) : Ident(schema) + "." + Ident(name);

    public static string Literal(string value) => "'" + value.Replace("'", "''") + "'";
}
