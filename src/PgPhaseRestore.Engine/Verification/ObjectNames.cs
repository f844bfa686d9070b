using System.Text.RegularExpressions;

namespace PgPhaseRestore.Engine.Verification;

/// <summary>Reads object names out of pg_dump's definitions, where quoting makes them unambiguous (tags are not).</summary>
internal static partial class ObjectNames
{
    private const string Ident = @"(?:""(?:[^""]|"""")+""|[^\s.""(;]+)";

    public static string Unquote(string ident) =>
        ident.StartsWith('"') ? ident[1..^1].Replace("\"\"", "\"") : ident;

    /// <summary>CREATE EXTENSION IF NOT EXISTS x WITH SCHEMA s; -> s: the schema its objects live in (the TOC gives an extension none).</summary>
    public static string? ExtensionSchema(string? definition) =>
        definition is not null && ExtensionSchemaPattern().Match(definition) is { Success: true } m ? Unquote(m.Groups[1].Value) : null;

    [GeneratedRegex($@"^CREATE EXTENSION .* WITH SCHEMA ({Ident})\s*;", RegexOptions.Multiline)]
    private static partial Regex ExtensionSchemaPattern();

    /// <summary>ALTER TABLE [ONLY] s.t ADD CONSTRAINT c ... -> (s, t, c); ALTER DOMAIN s.d ADD CONSTRAINT c -> (s, d, c).</summary>
    public static (string Schema, string Relation, string Name, bool Domain)? Constraint(string? definition)
    {
        if (definition is null)
            return null;
        var m = ConstraintPattern().Match(definition);
        if (!m.Success)
            return null;
        return (Unquote(m.Groups[2].Value), Unquote(m.Groups[3].Value), Unquote(m.Groups[4].Value), m.Groups[1].Value == "DOMAIN");
    }

    /// <summary>CREATE [CONSTRAINT] TRIGGER name ... ON s.t / CREATE POLICY name ON s.t -> (s, t, name).</summary>
    public static (string Schema, string Relation, string Name)? OnRelation(string? definition, string keyword)
    {
        if (definition is null)
            return null;
        var m = Regex.Match(definition, $@"CREATE (?:CONSTRAINT )?{keyword} ({Ident}) .*?\bON ({Ident})\.({Ident})", RegexOptions.Singleline);
        return m.Success ? (Unquote(m.Groups[2].Value), Unquote(m.Groups[3].Value), Unquote(m.Groups[1].Value)) : null;
    }

    [GeneratedRegex(@"ALTER (TABLE|DOMAIN) (?:ONLY )?(" + Ident + @")\.(" + Ident + @")\s+ADD CONSTRAINT (" + Ident + ")", RegexOptions.Singleline)]
    private static partial Regex ConstraintPattern();
}
