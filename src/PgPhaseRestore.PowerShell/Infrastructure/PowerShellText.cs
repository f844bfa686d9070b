using System.Management.Automation.Language;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>
/// Values written into command text a user pastes or completes (an error's recommended command, a completed name):
/// PowerShell's own escaping for single-quoted strings, which doubles the typographic quotes it reads as quotes too.
/// </summary>
internal static class PowerShellText
{
    /// <summary>The value as a single-quoted PowerShell string, which expands nothing.</summary>
    public static string SingleQuoted(string value) => "'" + CodeGeneration.EscapeSingleQuotedStringContent(value) + "'";
}
