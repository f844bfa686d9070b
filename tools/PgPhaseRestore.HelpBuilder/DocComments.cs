using System.Text.RegularExpressions;
using System.Xml.Linq;

/// <summary>The compiler's doc-comment file of the cmdlet assembly: members by id, their text flattened to one line.</summary>
internal sealed class DocComments(string path)
{
    private readonly Dictionary<string, XElement> _members =
        XDocument.Load(path).Descendants("member").ToDictionary(m => (string)m.Attribute("name")!, m => m);

    /// <summary>
    /// The member's comment. &lt;inheritdoc cref="..."/&gt; is left to tools by the compiler: a parameter declared alike
    /// on two cmdlets (whose one base class is taken) borrows its text from the declaration it repeats.
    /// </summary>
    public XElement? Member(string id, int depth = 0)
    {
        if (!_members.TryGetValue(id, out var member))
            return null;
        if (member.Element("summary") is null && member.Element("inheritdoc")?.Attribute("cref") is { } cref && depth < 4)
            return Member(cref.Value, depth + 1);
        return member;
    }

    /// <summary>An element's text on one line; &lt;see cref&gt; and &lt;paramref&gt; become the name they point at.</summary>
    public static string Text(XElement? element) => element is null ? "" :
        Regex.Replace(string.Concat(element.Nodes().Select(n => n switch
        {
            XText t => t.Value,
            XElement e when e.Name == "see" || e.Name == "paramref" => ((string?)e.Attribute("cref") ?? (string?)e.Attribute("name") ?? "").Split('.').Last(),
            XElement e => Text(e),
            _ => "",
        })), @"\s+", " ").Trim();
}
