using System.Globalization;

namespace PgPhaseRestore.Engine;

/// <summary>
/// Counted nouns for messages, progress and output, singular or plural as the count asks: "1 part", "2 parts",
/// "0 entries", "1 index", "3 indexes". The engine's messages and both hosts use it, so that no count reads "1 parts":
/// the hosts compile this same file (linked in their projects), so it stays internal everywhere.
/// </summary>
internal static class Plural
{
    /// <summary>The count and the noun, e.g. Of(1, "part") is "1 part", Of(11, "entry") "11 entries".</summary>
    public static string Of(long count, string noun) => count.ToString(CultureInfo.InvariantCulture) + " " + Noun(count, noun);

    /// <summary>The noun alone, singular for a count of one (or minus one), plural otherwise: for output that aligns the count itself.</summary>
    public static string Noun(long count, string noun) => count is 1 or -1 ? noun : Pluralize(noun);

    /// <summary>
    /// The plural of the nouns these messages count: "entry" becomes "entries", "index" "indexes", "session"
    /// "sessions"; a phrase takes the plural on its last word ("large object", "index build").
    /// </summary>
    private static string Pluralize(string noun)
    {
        if (noun.Length > 1 && noun.EndsWith('y') && !"aeiou".Contains(noun[^2], StringComparison.Ordinal))
            return noun[..^1] + "ies";
        if (noun.EndsWith('s') || noun.EndsWith('x') || noun.EndsWith("ch", StringComparison.Ordinal) || noun.EndsWith("sh", StringComparison.Ordinal))
            return noun + "es";
        return noun + "s";
    }
}
