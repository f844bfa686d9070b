using System.Text.RegularExpressions;

/// <summary>
/// A cmdlet's synopsis is the first sentence of its summary, whole: it ends at the first '.', '!' or '?' followed by a
/// space or the end ("e.g." and "i.e." end none). A summary whose first sentence ends any other way (a ':' before a
/// list) must be rewritten: the synopsis is what Get-Help and Get-Help -Name * print alone.
/// </summary>
internal static partial class Synopsis
{
    public static string Of(string summary)
    {
        foreach (Match end in SentenceEnd().Matches(summary))
            if (!AbbreviationEnd().IsMatch(summary[..(end.Index + 1)]))
                return summary[..(end.Index + 1)];
        return summary;
    }

    /// <summary>Why <paramref name="synopsis"/> cannot stand alone, or null when it can.</summary>
    public static string? Problem(string synopsis) =>
        synopsis.EndsWith('.') ? null : $"the summary's first sentence must end with '.', not \"...{synopsis[^Math.Min(20, synopsis.Length)..]}\": rewrite it";

    [GeneratedRegex(@"[.!?](?=\s|$)")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"\b(e\.g|i\.e)\.$", RegexOptions.IgnoreCase)]
    private static partial Regex AbbreviationEnd();
}
