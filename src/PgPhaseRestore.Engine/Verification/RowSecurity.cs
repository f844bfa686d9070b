using Npgsql;

namespace PgPhaseRestore.Engine.Verification;

/// <summary>Row counts under forced row-level security, which a role without BYPASSRLS may not take with row_security off.</summary>
internal static class RowSecurity
{
    /// <summary>
    /// The refusal of a count because of row-level security. The server gives it the code of every privilege failure
    /// (42501); only its message tells it from a missing SELECT grant.
    /// </summary>
    public static bool Refused(PostgresException ex) =>
        ex.SqlState == PostgresErrorCodes.InsufficientPrivilege && ex.MessageText.Contains("row-level security", StringComparison.Ordinal);

    /// <summary>The note for a table whose rows were not counted for that reason.</summary>
    public static string NotCounted(string table) => $"{table}: rows not counted: row-level security is forced and the verifying role lacks BYPASSRLS";
}
