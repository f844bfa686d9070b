using System.Collections;

namespace PgPhaseRestore.PowerShell.Infrastructure;

/// <summary>-SessionSetting @{ name = value } as the engine takes it.</summary>
internal static class SessionSettings
{
    public static IReadOnlyDictionary<string, string> From(Hashtable? table) =>
        table?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? "") ?? new Dictionary<string, string>();
}
