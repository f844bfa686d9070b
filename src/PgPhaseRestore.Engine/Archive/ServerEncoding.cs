using System.Text;

namespace PgPhaseRestore.Engine.Archive;

/// <summary>Maps the archive's ENCODING entry to a .NET decoder for the TOC strings that follow it.</summary>
internal static class ServerEncoding
{
    /// <summary>Whether the archive's data is UTF-8, what sessions that pass rows through unconverted need.</summary>
    public static bool IsUtf8(DumpArchive archive) =>
        archive.Entries.FirstOrDefault(e => e.Type == "ENCODING")?.Definition?.Contains("'UTF8'", StringComparison.OrdinalIgnoreCase) == true;

    public static Encoding FromSetCommand(string setCommand)
    {
        // The definition reads: SET client_encoding = 'UTF8';
        int open = setCommand.IndexOf('\'');
        int close = open < 0 ? -1 : setCommand.IndexOf('\'', open + 1);
        var name = close > open ? setCommand[(open + 1)..close] : "";
        return name.ToUpperInvariant() switch
        {
            "UTF8" or "UNICODE" => new UTF8Encoding(false, false),
            // Single-byte encodings: Latin-1 keeps every byte, so names survive a round trip untouched.
            _ => Encoding.Latin1,
        };
    }
}
