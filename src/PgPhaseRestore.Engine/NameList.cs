namespace PgPhaseRestore.Engine;

/// <summary>
/// The first few of a list of names, for a message that must stay one readable line however many there are:
/// "a, b, c, d, e, ..." for six or more.
/// </summary>
internal static class NameList
{
    private const int Shown = 5;

    public static string Of(IReadOnlyCollection<string> names) => string.Join(", ", names.Take(Shown)) + (names.Count > Shown ? ", ..." : "");

    public static string Of(IReadOnlyCollection<Archive.TocEntry> entries) => Of(entries.Select(e => e.QualifiedName).ToList());
}
